import { newId } from "../common/ids";
import { forDialect, SqlStatement } from "../database/raw-sql";
import { dbTime, fromDbTime } from "../database/sql-time";
import { ConcurrentModificationError, UnitOfWork } from "../database/transaction";
import type { CustomerTimelineChangedEvent, HoldSnapshot, RecordingStateChangedEvent, TimelineChangeKind } from "../events/topics";
import { PauseHoldEntity } from "./pause-hold.entity";
import { PauseIntervalEntity } from "./pause-interval.entity";
import { ControlSource, HoldReleaseKind, LIVE_STATES, RecordingState } from "./recording-state";
import { RecordingEntity } from "./recording.entity";

/**
 * The statements of a recording transition, hand-written: a transition is the hottest write path, and
 * TypeORM's query builder cost more CPU than the database did. Every function runs inside the caller's
 * unit of work. Timestamps are written as "YYYY-MM-DD HH:MM:SS.mmm" UTC, exactly what TypeORM writes.
 */

type Row = Record<string, unknown>;

const select = async (uow: UnitOfWork, sql: string, parameters: unknown[]) => (await uow.sql(sql, parameters)).records;

const RECORDING_COLUMNS = [
  "id",
  "callId",
  "customerId",
  "agentId",
  "state",
  "sequence",
  "startedAt",
  "endedAt",
  "durationMs",
  "sizeBytes",
  "sha256",
  "deletedAt",
  "deletedById",
  "deletionReason",
  "updatedAt",
] as const;
const HOLD_COLUMNS = ["id", "recordingId", "intervalId", "holderId", "holdKey", "reason", "source", "createdAt"] as const;
const DATE_COLUMNS = new Set(["startedAt", "endedAt", "deletedAt", "updatedAt", "createdAt", "releasedAt"]);

/** SQL is written with double-quoted identifiers; MySQL/MariaDB get backticks. Built once per dialect. */
function dialectCache(build: (lock: string) => string) {
  const cache: Partial<Record<UnitOfWork["dialect"], string>> = {};
  return (uow: UnitOfWork) =>
    (cache[uow.dialect] ??= uow.dialect === "mysql" ? forDialect(build(" FOR UPDATE"), true) : build(""));
}

const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));

function recordingFromRow(row: Row): RecordingEntity {
  return Object.assign(new RecordingEntity(), {
    id: row.id,
    callId: row.callId,
    customerId: row.customerId,
    agentId: row.agentId,
    state: row.state,
    sequence: Number(row.sequence),
    startedAt: fromDbTime(row.startedAt),
    endedAt: fromDbTime(row.endedAt),
    durationMs: num(row.durationMs),
    sizeBytes: num(row.sizeBytes),
    sha256: row.sha256 ?? null,
    deletedAt: fromDbTime(row.deletedAt),
    deletedById: row.deletedById ?? null,
    deletionReason: row.deletionReason ?? null,
    updatedAt: fromDbTime(row.updatedAt),
  });
}

function holdFromRow(row: Row, prefix = ""): PauseHoldEntity {
  return Object.assign(new PauseHoldEntity(), {
    id: row[`${prefix}id`],
    recordingId: row[`${prefix}recordingId`],
    intervalId: row[`${prefix}intervalId`],
    holderId: row[`${prefix}holderId`],
    holdKey: row[`${prefix}holdKey`] ?? "",
    reason: row[`${prefix}reason`] ?? null,
    source: row[`${prefix}source`],
    createdAt: fromDbTime(row[`${prefix}createdAt`]),
    releasedAt: null,
    releasedById: null,
    releaseKind: null,
    activeKey: activeHoldKey(String(row[`${prefix}recordingId`]), String(row[`${prefix}holderId`]), String(row[`${prefix}holdKey`] ?? "")),
  });
}

export interface LockedRecording {
  recording: RecordingEntity;
  /** Active holds, oldest first. */
  holds: PauseHoldEntity[];
}

const liveStatesSql = LIVE_STATES.map((state) => `'${state}'`).join(", ");
const lockWithHoldsSql = (where: string) =>
  dialectCache(
    (lock) =>
      `SELECT ${RECORDING_COLUMNS.map((c) => `r."${c}"`).join(", ")}, ${HOLD_COLUMNS.map((c) => `h."${c}" AS "h_${c}"`).join(", ")} ` +
      `FROM "recordings" r LEFT JOIN "pause_holds" h ON h."recordingId" = r."id" AND h."releasedAt" IS NULL ` +
      `WHERE ${where} ORDER BY h."createdAt", h."id"${lock}`,
  );
const LOCK_BY_ID = lockWithHoldsSql(`r."id" = ?`);
const LOCK_BY_CALL = lockWithHoldsSql(`r."callId" = ?`);
const LOCK_LIVE_OF_AGENT = lockWithHoldsSql(`r."agentId" = ? AND r."state" IN (${liveStatesSql})`);

function lockedFromRows(rows: Row[]): LockedRecording | null {
  if (rows.length === 0) return null;
  return { recording: recordingFromRow(rows[0]), holds: rows.filter((row) => row.h_id !== null && row.h_id !== undefined).map((row) => holdFromRow(row, "h_")) };
}

/** The recording and its active holds in one statement, the row locked on MySQL (SQLite serializes writers). */
export async function lockRecordingWithHolds(uow: UnitOfWork, id: string): Promise<LockedRecording | null> {
  return lockedFromRows(await select(uow, LOCK_BY_ID(uow), [id]));
}

export async function lockRecordingOfCall(uow: UnitOfWork, callId: string): Promise<LockedRecording | null> {
  return lockedFromRows(await select(uow, LOCK_BY_CALL(uow), [callId]));
}

/** The agent's live recording, locked, with its active holds. */
export async function lockLiveRecordingOfAgent(uow: UnitOfWork, agentId: string): Promise<LockedRecording | null> {
  const locked = lockedFromRows(await select(uow, LOCK_LIVE_OF_AGENT(uow), [agentId]));
  // Re-checked: a row that stopped being live while we waited for its lock is not the agent's live call.
  return locked && LIVE_STATES.includes(locked.recording.state) ? locked : null;
}

const LOCK_RECORDING = dialectCache((lock) => `SELECT ${RECORDING_COLUMNS.map((c) => `"${c}"`).join(", ")} FROM "recordings" WHERE "id" = ?${lock}`);

export async function lockRecording(uow: UnitOfWork, id: string): Promise<RecordingEntity | null> {
  const rows = await select(uow, LOCK_RECORDING(uow), [id]);
  return rows.length ? recordingFromRow(rows[0]) : null;
}

const ACTIVE_HOLDS = dialectCache(
  () => `SELECT ${HOLD_COLUMNS.map((c) => `"${c}"`).join(", ")} FROM "pause_holds" WHERE "recordingId" = ? AND "releasedAt" IS NULL ORDER BY "createdAt", "id"`,
);

export async function activeHolds(uow: UnitOfWork, recordingId: string): Promise<PauseHoldEntity[]> {
  return (await select(uow, ACTIVE_HOLDS(uow), [recordingId])).map((row) => holdFromRow(row));
}

/** Columns a transition may set besides state, sequence and updatedAt. */
export type RecordingChanges = Partial<Pick<RecordingEntity, "endedAt" | "durationMs" | "sizeBytes" | "sha256" | "deletedAt" | "deletedById" | "deletionReason">>;

const updateSqlCache = new Map<string, string>();

/**
 * Moves the recording to `state` and bumps its sequence, but only if nobody else changed it since it was
 * read: UPDATE … WHERE id = ? AND sequence = ?. The caller runs the statement and checks `updated` (zero
 * rows means a lost race, and the unit is retried); `recording` already carries the new state.
 */
export function updateRecordingStateStatement(uow: UnitOfWork, recording: RecordingEntity, state: RecordingState, at: Date, changes: RecordingChanges = {}): SqlStatement {
  const names = Object.keys(changes).sort() as (keyof RecordingChanges)[];
  const cacheKey = `${uow.dialect}:${names.join(",")}`;
  let sql = updateSqlCache.get(cacheKey);
  if (!sql) {
    sql = forDialect(
      `UPDATE "recordings" SET "state" = ?, "sequence" = "sequence" + 1, "updatedAt" = ?${names.map((n) => `, "${n}" = ?`).join("")} WHERE "id" = ? AND "sequence" = ?`,
      uow.dialect === "mysql",
    );
    updateSqlCache.set(cacheKey, sql);
  }
  const values = names.map((name) => {
    const value = changes[name];
    return DATE_COLUMNS.has(name) && value instanceof Date ? dbTime(value) : (value ?? null);
  });
  const id = recording.id;
  const statement = {
    text: sql,
    values: [state, dbTime(at), ...values, id, recording.sequence],
    // Zero rows: the row changed under us (the lock was not taken, or a bug): the unit fails and retries.
    mustChangeOneRow: () => new ConcurrentModificationError(`recording ${id}`),
  };
  Object.assign(recording, changes, { state, sequence: recording.sequence + 1, updatedAt: at });
  return statement;
}

const CLAIM_UNLOCKED = dialectCache(() => `SELECT 1 FROM "recordings" WHERE "id" = ? FOR UPDATE NOWAIT`);

/**
 * MySQL/MariaDB: the recording's row lock refused at once (isLockNotAvailable) rather than waited for (see
 * `SqlStatement.noWait`). A transition decided on a snapshot writes so: its commit instant was stamped before its
 * writes went out, so it must not wait behind another transaction's lock, and in a group commit it would hold up
 * every other member; SQLite has no row locks (its units run one at a time).
 */
export function noWaitOnRecording(uow: UnitOfWork, recordingId: string): SqlStatement["noWait"] {
  return uow.dialect === "mysql" ? { claim: { text: CLAIM_UNLOCKED(uow), values: [recordingId] } } : undefined;
}

const INSERT_RECORDING = dialectCache(() => `INSERT INTO "recordings" (${RECORDING_COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES (${RECORDING_COLUMNS.map(() => "?").join(", ")})`);

/** The INSERT of a new recording, for the caller's batch. */
export function insertRecordingStatement(uow: UnitOfWork, recording: RecordingEntity): SqlStatement {
  const values = RECORDING_COLUMNS.map((column) => {
    const value = recording[column];
    return value instanceof Date ? dbTime(value) : (value ?? null);
  });
  return { text: INSERT_RECORDING(uow), values };
}

export const offsetMs = (recording: RecordingEntity, at: Date) => Math.max(0, at.getTime() - recording.startedAt.getTime());

const INSERT_INTERVAL = dialectCache(
  () => `INSERT INTO "pause_intervals" ("id", "recordingId", "startedAt", "endedAt", "startOffsetMs", "endOffsetMs") VALUES (?, ?, ?, NULL, ?, NULL)`,
);

export function openPauseInterval(uow: UnitOfWork, recording: RecordingEntity, at: Date): { interval: PauseIntervalEntity; statement: SqlStatement } {
  const interval = Object.assign(new PauseIntervalEntity(), {
    id: newId(),
    recordingId: recording.id,
    startedAt: at,
    endedAt: null,
    startOffsetMs: offsetMs(recording, at),
    endOffsetMs: null,
  });
  return { interval, statement: { text: INSERT_INTERVAL(uow), values: [interval.id, interval.recordingId, dbTime(at), interval.startOffsetMs] } };
}

const CLOSE_INTERVAL = dialectCache(() => `UPDATE "pause_intervals" SET "endedAt" = ?, "endOffsetMs" = ? WHERE "recordingId" = ? AND "endedAt" IS NULL`);
const CLOSE_INTERVAL_BY_ID = dialectCache(() => `UPDATE "pause_intervals" SET "endedAt" = ?, "endOffsetMs" = ? WHERE "id" = ? AND "endedAt" IS NULL`);

/**
 * Closes the open pause interval: by its id when the holds being released name it (every active hold belongs to
 * the open interval), a primary-key update; else by recording, which walks every interval the recording has had.
 */
export function closePauseInterval(uow: UnitOfWork, recording: RecordingEntity, at: Date, openIntervalId?: string): SqlStatement {
  return openIntervalId
    ? { text: CLOSE_INTERVAL_BY_ID(uow), values: [dbTime(at), offsetMs(recording, at), openIntervalId] }
    : { text: CLOSE_INTERVAL(uow), values: [dbTime(at), offsetMs(recording, at), recording.id] };
}

const CURRENT_INTERVAL_ID = dialectCache(() => `SELECT "id" FROM "pause_intervals" WHERE "recordingId" = ? AND "endedAt" IS NULL ORDER BY "startedAt" DESC LIMIT 1`);

export async function currentPauseIntervalId(uow: UnitOfWork, recordingId: string): Promise<string | null> {
  const rows = await select(uow, CURRENT_INTERVAL_ID(uow), [recordingId]);
  return rows.length ? String(rows[0].id) : null;
}

export const activeHoldKey = (recordingId: string, holderId: string, holdKey: string) => `${recordingId}/${holderId}/${holdKey}`;

export interface NewHold {
  holderId: string;
  holdKey: string;
  reason: string | null;
  source: ControlSource;
}

const INSERT_HOLD = dialectCache(
  () =>
    `INSERT INTO "pause_holds" ("id", "recordingId", "intervalId", "holderId", "holdKey", "reason", "source", "createdAt", "releasedAt", "releasedById", "releaseKind", "activeKey") ` +
    `VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?)`,
);

export function addHold(uow: UnitOfWork, recordingId: string, intervalId: string, hold: NewHold, at: Date): { hold: PauseHoldEntity; statement: SqlStatement } {
  const entity = Object.assign(new PauseHoldEntity(), {
    id: newId(),
    recordingId,
    intervalId,
    ...hold,
    createdAt: at,
    releasedAt: null,
    releasedById: null,
    releaseKind: null,
    activeKey: activeHoldKey(recordingId, hold.holderId, hold.holdKey),
  });
  const values = [entity.id, recordingId, intervalId, hold.holderId, hold.holdKey, hold.reason, hold.source, dbTime(at), entity.activeKey];
  return { hold: entity, statement: { text: INSERT_HOLD(uow), values } };
}

export function releaseHolds(uow: UnitOfWork, holds: PauseHoldEntity[], by: string | null, kind: HoldReleaseKind, at: Date): SqlStatement[] {
  if (holds.length === 0) return [];
  const sql = forDialect(
    `UPDATE "pause_holds" SET "releasedAt" = ?, "releasedById" = ?, "releaseKind" = ?, "activeKey" = NULL WHERE "id" IN (${holds.map(() => "?").join(", ")})`,
    uow.dialect === "mysql",
  );
  return [{ text: sql, values: [dbTime(at), by, kind, ...holds.map((h) => h.id)] }];
}

export const holdSnapshot = (hold: PauseHoldEntity): HoldSnapshot => ({
  id: hold.id,
  holderId: hold.holderId,
  holdKey: hold.holdKey,
  reason: hold.reason,
  source: hold.source,
  createdAt: hold.createdAt.toISOString(),
});

export function stateChangedEvent(
  recording: RecordingEntity,
  previousState: RecordingState | null,
  actorId: string | null,
  source: ControlSource,
  holds: PauseHoldEntity[],
  at: Date,
  effectiveAt: Date = at,
): RecordingStateChangedEvent {
  return {
    recordingId: recording.id,
    callId: recording.callId,
    agentId: recording.agentId,
    customerId: recording.customerId,
    sequence: recording.sequence,
    previousState,
    state: recording.state,
    actorId,
    source,
    activeHolds: holds.map(holdSnapshot),
    occurredAt: at.toISOString(),
    effectiveAt: effectiveAt.toISOString(),
  };
}

export function timelineEvent(kind: TimelineChangeKind, recording: RecordingEntity, at: Date): CustomerTimelineChangedEvent {
  return {
    kind,
    customerId: recording.customerId,
    agentId: recording.agentId,
    recordingId: recording.id,
    callId: recording.callId,
    occurredAt: at.toISOString(),
  };
}
