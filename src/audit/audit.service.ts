import { randomFillSync } from "node:crypto";
import { Between, DataSource, FindOptionsWhere, IsNull, LessThan, LessThanOrEqual, MoreThanOrEqual, Not } from "typeorm";
import type { Viewer } from "../auth/viewer";
import { forDialect, SqlStatement } from "../database/raw-sql";
import { dbTime } from "../database/sql-time";
import type { TransactionRunner, UnitOfWork } from "../database/transaction";
import { AuditAction } from "./audit-action";
import { AuditEntryEntity } from "./audit-entry.entity";
import { AuditHeadEntity } from "./audit-head.entity";
import { GENESIS_HASH, hashAuditEntry } from "./audit-hash";
import { AuditHead, AuditSequencer, HEAD_ID } from "./audit-sequencer";

export interface AuditRecord {
  actor: Viewer | undefined;
  action: AuditAction;
  targetType: "RECORDING" | "USER" | "CUSTOMER" | "CALL" | "RETENTION_POLICY";
  targetId: string;
  details: Record<string, unknown>;
  requestId: string;
}

export interface AuditFilter {
  action?: AuditAction;
  targetId?: string;
  actorId?: string;
  from?: Date;
  to?: Date;
}

export interface AuditPage {
  entries: ChainedAuditEntry[];
  hasNextPage: boolean;
}

export interface AuditVerification {
  valid: boolean;
  checkedEntries: number;
  firstInvalidPosition: number | null;
  /** Entries committed but not (yet) chained when the walk ended: in-flight, or a sequencer that cannot run. */
  unchainedEntries: number;
}

const VERIFY_BATCH = 500;
const VERIFY_FLUSH_WAIT_MS = 2000;

/**
 * 12 hex digits of milliseconds, 8 of a counter, then 16 random: unique without a shared counter, and within
 * one process strictly increasing in creation order. The sequencer chains in id order, so the entries of one
 * recording (created under its row lock, often in the same millisecond when commits are grouped) are chained
 * in the order of its changes.
 */
let lastMs = 0;
let counter = 0;
function auditEntryId(at: Date): string {
  const ms = Math.max(at.getTime(), lastMs);
  counter = ms === lastMs ? counter + 1 : 0;
  lastMs = ms;
  return ms.toString(16).padStart(12, "0") + counter.toString(16).padStart(8, "0") + randomHex8();
}

/** Random bytes drawn from a pool filled 4 KiB at a time: one call into the CSPRNG per 512 ids, not per id. */
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;
function randomHex8(): string {
  if (randomOffset + 8 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  randomOffset += 8;
  return randomPool.toString("hex", randomOffset - 8, randomOffset);
}

const INSERT_ENTRY =
  `INSERT INTO "audit_entries" ("id", "position", "occurredAt", "actorId", "actorRoles", "action", "targetType", "targetId", "details", "requestId", "prevHash", "hash") ` +
  `VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`;
const INSERT_ENTRY_MYSQL = forDialect(INSERT_ENTRY, true);

/**
 * The audit log. Appending is one INSERT in the caller's transaction (no shared row is touched); the
 * sequencer chains committed entries shortly after. Reads that list or verify first wait for the chain to
 * catch up with what has committed, so a caller reads its own writes.
 */
export class AuditService {
  private readonly sequencer: AuditSequencer;

  constructor(
    private readonly dataSource: DataSource,
    transactions: TransactionRunner,
    log: (message: string, error?: unknown) => void = (message, error) => console.error(message, error),
  ) {
    this.sequencer = new AuditSequencer(transactions, log);
  }

  /** Creates the chain's head row once (safe on every start), chains what a crash left, and starts the sequencer. */
  async start(): Promise<void> {
    const repo = this.dataSource.getRepository(AuditHeadEntity);
    if (!(await repo.findOne({ where: { id: HEAD_ID } }))) {
      await repo.insert({ id: HEAD_ID, position: 0, hash: GENESIS_HASH }).catch(async (error) => {
        if (!(await repo.findOne({ where: { id: HEAD_ID } }))) throw error;
      });
    }
    await this.sequencer.flush();
    this.sequencer.start();
  }

  async close(): Promise<void> {
    await this.sequencer.close();
  }

  /** Appends inside the caller's transaction: the entry exists if and only if the audited change committed. */
  async append(uow: UnitOfWork, record: AuditRecord): Promise<void> {
    const { text, values } = this.appendStatement(uow, record);
    await uow.sql(text, values);
  }

  /** The INSERT of `append`, for the caller to run with its other writes (`uow.sqlBatch`). */
  appendStatement(uow: UnitOfWork, record: AuditRecord): SqlStatement {
    const now = new Date();
    uow.afterCommit(() => this.sequencer.schedule());
    return {
      text: uow.dialect === "mysql" ? INSERT_ENTRY_MYSQL : INSERT_ENTRY,
      values: [
        auditEntryId(now),
        dbTime(now),
        record.actor?.userId ?? null,
        JSON.stringify(record.actor ? [...record.actor.roles].sort() : []),
        record.action,
        record.targetType,
        record.targetId,
        JSON.stringify(record.details),
        record.requestId,
      ],
    };
  }

  /** Waits until every entry committed before the call is chained. */
  flush(): Promise<void> {
    return this.sequencer.flush();
  }

  /** The chain's head: the newest position and its hash (what a signed checkpoint would attest). */
  async head(): Promise<AuditHead> {
    await this.flush();
    const head = await this.dataSource.getRepository(AuditHeadEntity).findOne({ where: { id: HEAD_ID } });
    if (!head) throw new Error("audit chain head is missing");
    return { position: head.position, hash: head.hash };
  }

  async list(first: number, afterPosition: number | undefined, filter: AuditFilter): Promise<AuditPage> {
    await this.flush();
    const where: FindOptionsWhere<AuditEntryEntity> = { position: Not(IsNull()) };
    if (filter.action) where.action = filter.action;
    if (filter.targetId) where.targetId = filter.targetId;
    if (filter.actorId) where.actorId = filter.actorId;
    if (filter.from && filter.to) where.occurredAt = Between(filter.from, filter.to);
    else if (filter.from) where.occurredAt = MoreThanOrEqual(filter.from);
    else if (filter.to) where.occurredAt = LessThanOrEqual(filter.to);
    if (afterPosition !== undefined) where.position = LessThan(afterPosition);
    const rows = await this.dataSource.getRepository(AuditEntryEntity).find({
      where,
      order: { position: "DESC" },
      take: first + 1,
    });
    return { entries: rows.slice(0, first) as ChainedAuditEntry[], hasNextPage: rows.length > first };
  }

  /**
   * Walks the whole chain: recomputes each hash and checks each link and the head. It waits a bounded time
   * for the sequencer, so a sequencer that cannot run (its head row held) shows as unchained entries.
   */
  async verify(): Promise<AuditVerification> {
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, VERIFY_FLUSH_WAIT_MS).unref())]);
    const repo = this.dataSource.getRepository(AuditEntryEntity);
    const unchainedEntries = await repo.count({ where: { position: IsNull() } });
    let prevHash = GENESIS_HASH;
    let expectedPosition = 1;
    let checked = 0;
    const invalidAt = (position: number) => ({ valid: false, checkedEntries: checked, firstInvalidPosition: position, unchainedEntries });
    for (;;) {
      const batch = (await repo.find({
        where: { position: MoreThanOrEqual(expectedPosition) },
        order: { position: "ASC" },
        take: VERIFY_BATCH,
      })) as ChainedAuditEntry[];
      for (const entry of batch) {
        if (entry.position !== expectedPosition || entry.prevHash !== prevHash || hashAuditEntry(entry) !== entry.hash) return invalidAt(expectedPosition);
        prevHash = entry.hash;
        expectedPosition++;
        checked++;
      }
      if (batch.length < VERIFY_BATCH) break;
    }
    const head = await this.dataSource.getRepository(AuditHeadEntity).findOne({ where: { id: HEAD_ID } });
    if (!head || head.position !== checked || head.hash !== prevHash) return invalidAt(checked + 1);
    return { valid: true, checkedEntries: checked, firstInvalidPosition: null, unchainedEntries };
  }
}

/** An entry the sequencer has chained. */
export type ChainedAuditEntry = AuditEntryEntity & { position: number; prevHash: string; hash: string };
