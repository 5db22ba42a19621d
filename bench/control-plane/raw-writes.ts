/**
 * The raw-driver reference for pause/resume throughput: the same writes a transition makes (the recording and
 * its holds read and locked in one statement, the conditional UPDATE, the pause interval, the hold, the audit
 * entry), each pause and each resume its own transaction, straight through mysql2 (a pool of N clients) or
 * better-sqlite3 (N loops on the one connection), on callvault's own schema. No HTTP, GraphQL, auth or events.
 * The audit entry, by mode:
 * - "unchained" (U): inserted unchained, and nothing ever chains it: fewer writes than callvault makes.
 * - "sequenced" (S): inserted unchained, and a sequencer chains the committed entries in batches the way
 *   callvault's does (src/audit/audit-sequencer.ts): ~10 ms after an append, one transaction locks the head,
 *   reads up to 500 unchained entries, hashes each over the previous hash, writes the links 100 rows per
 *   UPDATE … CASE and moves the head. These are callvault's writes, statement for statement.
 * - "chained" (C): chained in the same transaction, the way the reference (and callvault before its
 *   sequencer) did it: the head row read FOR UPDATE, the entry hashed over the previous hash, inserted with its
 *   position and hashes, the head moved.
 * Arguments: "sqlite" | mysql://server, clients, seconds, [mode]. Prints JSON { pairs, seconds, pairsPerSecond, … }.
 */
import "reflect-metadata";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { createConnection, createPool } from "mysql2/promise";
import { hashAuditEntry } from "../../src/audit/audit-hash";
import { linkAfterHead } from "../../src/audit/audit-row";
import { openDataSource } from "../../src/database/data-source";
import { databaseServerPid, processCpuMs } from "../thread-cpu";

const at = () => new Date().toISOString().replace("T", " ").replace("Z", "");
const auditId = () => Date.now().toString(16).padStart(12, "0") + randomBytes(12).toString("hex");
const LOCK = `SELECT r.id, r.sequence, r.state, h.id AS holdId, h.intervalId FROM recordings r LEFT JOIN pause_holds h ON h.recordingId = r.id AND h.releasedAt IS NULL WHERE r.id = ?`;
const UPDATE = `UPDATE recordings SET state = ?, sequence = sequence + 1, updatedAt = ? WHERE id = ? AND sequence = ?`;
const OPEN_INTERVAL = `INSERT INTO pause_intervals (id, recordingId, startedAt, endedAt, startOffsetMs, endOffsetMs) VALUES (?, ?, ?, NULL, ?, NULL)`;
const ADD_HOLD = `INSERT INTO pause_holds (id, recordingId, intervalId, holderId, holdKey, reason, source, createdAt, releasedAt, releasedById, releaseKind, activeKey) VALUES (?, ?, ?, ?, '', NULL, 'AGENT_UI', ?, NULL, NULL, NULL, ?)`;
const RELEASE_HOLD = `UPDATE pause_holds SET releasedAt = ?, releasedById = ?, releaseKind = 'RESUMED', activeKey = NULL WHERE id = ?`;
const CLOSE_INTERVAL = `UPDATE pause_intervals SET endedAt = ?, endOffsetMs = ? WHERE id = ? AND endedAt IS NULL`;
const AUDIT = `INSERT INTO audit_entries (id, position, occurredAt, actorId, actorRoles, action, targetType, targetId, details, requestId, prevHash, hash) VALUES (?, NULL, ?, ?, '["AGENT"]', ?, 'RECORDING', ?, ?, ?, NULL, NULL)`;
const HEAD = `SELECT position, hash FROM audit_head WHERE id = 1`;
const CHAINED_AUDIT = `INSERT INTO audit_entries (id, position, occurredAt, actorId, actorRoles, action, targetType, targetId, details, requestId, prevHash, hash) VALUES (?, ?, ?, ?, '["AGENT"]', ?, 'RECORDING', ?, ?, ?, ?, ?)`;
const MOVE_HEAD = `UPDATE audit_head SET position = ?, hash = ? WHERE id = 1`;
const UNCHAINED = `SELECT * FROM audit_entries WHERE position IS NULL ORDER BY position, id LIMIT 500`;
const SEED = `INSERT INTO recordings (id, callId, customerId, agentId, state, sequence, startedAt, endedAt, durationMs, sizeBytes, sha256, deletedAt, deletedById, deletionReason, updatedAt) VALUES (?, ?, ?, ?, 'RECORDING', 1, ?, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?)`;

type Run = (sql: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[]; affected: number }>;

/** One pause or resume: the statements of a transition, in one transaction. */
async function transition(run: Run, recordingId: string, agentId: string): Promise<void> {
  const rows = (await run(LOCK, [recordingId])).rows;
  const { sequence, state, holdId, intervalId: openIntervalId } = rows[0] as { sequence: number; state: string; holdId: string | null; intervalId: string | null };
  const now = at();
  const pausing = state === "RECORDING";
  if ((await run(UPDATE, [pausing ? "PAUSED" : "RECORDING", now, recordingId, sequence])).affected !== 1) throw new Error("lost a race");
  if (pausing) {
    const intervalId = randomUUID();
    await run(OPEN_INTERVAL, [intervalId, recordingId, now, 1000]);
    await run(ADD_HOLD, [randomUUID(), recordingId, intervalId, agentId, now, `${recordingId}/${agentId}/`]);
  } else {
    await run(RELEASE_HOLD, [now, agentId, holdId]);
    await run(CLOSE_INTERVAL, [now, 2000, openIntervalId]);
  }
  const detailsObject = { agentId, state: pausing ? "PAUSED" : "RECORDING", sequence: Number(sequence) + 1 };
  const details = JSON.stringify(detailsObject);
  const action = pausing ? "RECORDING_PAUSED" : "RECORDING_RESUMED";
  const requestId = randomUUID();
  if (mode !== "chained") return void (await run(AUDIT, [auditId(), now, agentId, action, recordingId, details, requestId]));
  const head = (await run(HEAD, [])).rows[0] as { position: number; hash: string };
  const position = Number(head.position) + 1;
  const hash = hashAuditEntry({ position, occurredAt: new Date(`${now}Z`), actorId: agentId, actorRoles: ["AGENT"], action, targetType: "RECORDING", targetId: recordingId, details: detailsObject, requestId, prevHash: head.hash });
  await run(CHAINED_AUDIT, [auditId(), position, now, agentId, action, recordingId, details, requestId, head.hash, hash]);
  await run(MOVE_HEAD, [position, hash]);
}

/** One sequencer run (S), as callvault's: returns how many entries it chained. */
async function chainBatch(run: Run): Promise<number> {
  const head = (await run(HEAD, [])).rows[0] as { position: number; hash: string };
  const rows = (await run(UNCHAINED, [])).rows;
  if (rows.length === 0) return 0;
  const { links, head: moved } = linkAfterHead(head, rows);
  for (let i = 0; i < links.length; i += 100) {
    const chunk = links.slice(i, i + 100);
    const cases = (column: string) => `${column} = CASE id ${chunk.map(() => "WHEN ? THEN ?").join(" ")} END`;
    const sql = `UPDATE audit_entries SET ${cases("position")}, ${cases("prevHash")}, ${cases("hash")} WHERE id IN (${chunk.map(() => "?").join(", ")}) AND position IS NULL`;
    await run(sql, [...chunk.flatMap((l) => [l.id, l.position]), ...chunk.flatMap((l) => [l.id, l.prevHash]), ...chunk.flatMap((l) => [l.id, l.hash]), ...chunk.map((l) => l.id)]);
  }
  await run(MOVE_HEAD, [moved.position, moved.hash]);
  return rows.length;
}

let mode: "unchained" | "sequenced" | "chained" = "unchained";

async function main() {
  const [databaseArg = "sqlite", clientsArg = "64", secondsArg = "8", modeArg = "unchained"] = process.argv.slice(2);
  if (modeArg !== "unchained" && modeArg !== "sequenced" && modeArg !== "chained") throw new Error(`mode is unchained, sequenced or chained, not ${modeArg}`);
  mode = modeArg;
  const clients = Number(clientsArg);
  const seconds = Number(secondsArg);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-raw-"));
  const mysql = databaseArg.startsWith("mysql://");
  const name = `callvault_raw_${process.pid}`;
  if (mysql) {
    const admin = await createConnection(databaseArg);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
  }
  const url = `${databaseArg.replace(/\/$/, "")}/${name}`;
  const file = path.join(dir, "raw.sqlite");
  // callvault's own migrations build the schema; then the driver takes over.
  const schema = await openDataSource(mysql ? { kind: "mysql", url } : { kind: "sqlite", file });
  await schema.runMigrations();
  await schema.destroy();

  const ids = Array.from({ length: clients }, () => ({ recordingId: randomUUID(), agentId: randomUUID() }));
  let transactionOf: (work: (run: Run) => Promise<void>) => Promise<void>;
  let close: () => Promise<void>;
  if (mysql) {
    const pool = createPool({ uri: url, connectionLimit: clients, timezone: "Z" });
    pool.on("connection", (connection) => void connection.query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"));
    transactionOf = async (work) => {
      const connection = await pool.getConnection();
      try {
        await connection.beginTransaction();
        await work(async (sql, params) => {
          const [result] = await connection.query(sql.includes("LEFT JOIN") || sql === HEAD ? `${sql} FOR UPDATE` : sql, params);
          return Array.isArray(result) ? { rows: result as Record<string, unknown>[], affected: 0 } : { rows: [], affected: (result as { affectedRows: number }).affectedRows };
        });
        await connection.commit();
      } catch (error) {
        await connection.rollback();
        throw error;
      } finally {
        connection.release();
      }
    };
    close = async () => {
      await pool.end();
      const admin = await createConnection(databaseArg);
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    };
  } else {
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    const statements = new Map<string, Database.Statement>();
    const prepared = (sql: string) => statements.get(sql) ?? statements.set(sql, db.prepare(sql)).get(sql)!;
    const begin = db.prepare("BEGIN");
    const commit = db.prepare("COMMIT");
    transactionOf = async (work) => {
      begin.run();
      try {
        await work(async (sql, params) => {
          const statement = prepared(sql);
          return statement.reader ? { rows: statement.all(...params) as Record<string, unknown>[], affected: 0 } : { rows: [], affected: statement.run(...params).changes };
        });
        commit.run();
      } catch (error) {
        db.prepare("ROLLBACK").run();
        throw error;
      }
    };
    close = async () => db.close();
  }
  await transactionOf((run) => run(`INSERT INTO audit_head (id, position, hash) VALUES (1, 0, ?)`, ["0".repeat(64)]).then(() => undefined));
  for (const { recordingId, agentId } of ids) {
    await transactionOf((run) => run(SEED, [recordingId, randomUUID(), randomUUID(), agentId, at(), at()]).then(() => undefined));
  }
  // better-sqlite3 is synchronous: its "clients" take turns, as callvault's queued units do.
  let queue: Promise<unknown> = Promise.resolve();
  // InnoDB may pick a victim among concurrent inserts into the holds' unique index; like callvault, retry it.
  const retried = async (work: (run: Run) => Promise<void>): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await transactionOf(work);
      } catch (error) {
        if ((error as { errno?: number }).errno !== 1213 || attempt >= 5) throw error;
        deadlocks++;
      }
    }
  };
  let deadlocks = 0;
  const serialized = mysql ? retried : (work: (run: Run) => Promise<void>) => (queue = queue.then(() => transactionOf(work)));

  let pairs = 0;
  let chainedEntries = 0;
  let sequencerRuns = 0;
  const deadline = performance.now() + seconds * 1000;
  // As callvault's, a run 10 ms after the append that found none pending, together with what was appended meanwhile.
  // Triggered from the clients' loop, not by a timer: better-sqlite3's synchronous turns never let a timer fire.
  let runDueAt: number | undefined;
  let sequencerBusy = false;
  const appended = () => {
    if (mode !== "sequenced") return;
    const now = performance.now();
    if (runDueAt === undefined) runDueAt = now + 10;
    if (sequencerBusy || now < runDueAt) return;
    sequencerBusy = true;
    runDueAt = undefined;
    void serialized(async (run) => {
      const chained = await chainBatch(run);
      chainedEntries += chained;
      sequencerRuns++;
    }).finally(() => (sequencerBusy = false));
  };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const databasePid = mysql ? databaseServerPid() : undefined;
  const databaseBefore = databasePid === undefined ? undefined : processCpuMs(databasePid);
  await Promise.all(
    ids.map(async ({ recordingId, agentId }) => {
      while (performance.now() < deadline) {
        await serialized((run) => transition(run, recordingId, agentId));
        appended();
        await serialized((run) => transition(run, recordingId, agentId));
        appended();
        pairs++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  while (sequencerBusy) await new Promise((resolve) => setTimeout(resolve, 1));
  const cpu = process.cpuUsage(cpuBefore);
  const databaseAfter = databasePid === undefined ? undefined : processCpuMs(databasePid);
  const cpuUsPerPair = (cpu.user + cpu.system) / pairs;
  const databaseCpuUsPerPair = databaseBefore === undefined || databaseAfter === undefined ? undefined : ((databaseAfter - databaseBefore) * 1000) / pairs;
  await close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ pairs, seconds: elapsed, pairsPerSecond: pairs / elapsed, cpuUsPerPair, databaseCpuUsPerPair, deadlocks, chainedEntries, sequencerRuns }));
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
