import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { createConnection } from "mysql2/promise";
import type { DatabaseConfig } from "../config/config";
import { checkChainRows, ChainCursor } from "./audit-chain-segment";
import type { StoredAuditRow } from "./audit-row";

/**
 * Walks a segment of the audit chain on a worker thread, with a connection of its own, so that re-hashing the
 * entries since the last checkpoint (a minute of a busy fleet's pauses: hundreds of thousands of entries) never
 * runs on a serving event loop. Contract: AuditChainWalker posts one WalkRequest and reads one WalkAnswer.
 */
export const AUDIT_CHAIN_WALK_WORKER_FILE = __filename;

export interface WalkRequest {
  kind: "audit-chain-walk";
  database: DatabaseConfig;
  from: ChainCursor;
  toPosition: number;
}

/** `brokenAt`: the first position that does not verify, or null when the whole segment does. */
export type WalkAnswer = { ok: true; brokenAt: number | null } | { ok: false; message: string };

/** Off the serving loop, a larger read per round trip costs nobody a delay. */
const WALK_BATCH = 2000;

async function walk({ database, from, toPosition }: WalkRequest): Promise<number | null> {
  const cursor = { ...from };
  const readBatch = await openReader(database);
  try {
    for (;;) {
      const rows = await readBatch.read(cursor.expected, WALK_BATCH);
      if (rows.length === 0) return cursor.expected;
      const outcome = checkChainRows(cursor, rows, toPosition);
      if (outcome === "done") return null;
      if (outcome !== "more") return outcome;
    }
  } finally {
    await readBatch.close();
  }
}

/** The part of better-sqlite3 this reads with (the package ships no types). */
interface SqliteReadConnection {
  prepare(sql: string): { all(...values: unknown[]): unknown[] };
  close(): void;
}
type SqliteOpen = new (file: string, options: { readonly: boolean; fileMustExist: boolean }) => SqliteReadConnection;

interface Reader {
  read(fromPosition: number, limit: number): Promise<StoredAuditRow[]>;
  close(): Promise<void>;
}

async function openReader(database: DatabaseConfig): Promise<Reader> {
  if (database.kind === "sqlite") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Sqlite = require("better-sqlite3") as SqliteOpen;
    const db = new Sqlite(database.file, { readonly: true, fileMustExist: true });
    const statement = db.prepare(`SELECT * FROM "audit_entries" WHERE "position" >= ? ORDER BY "position" LIMIT ?`);
    return { read: async (fromPosition, limit) => statement.all(fromPosition, limit) as StoredAuditRow[], close: async () => void db.close() };
  }
  // As the data source reads them: DATETIME in UTC (data-source.ts), so the hashed timestamps match.
  const connection = await createConnection({ uri: database.url, timezone: "Z", charset: "utf8mb4_unicode_ci" });
  return {
    read: async (fromPosition, limit) => (await connection.query("SELECT * FROM `audit_entries` WHERE `position` >= ? ORDER BY `position` LIMIT ?", [fromPosition, limit]))[0] as StoredAuditRow[],
    close: () => connection.end(),
  };
}

function serve(): void {
  const port = parentPort!;
  const request = workerData as WalkRequest;
  walk(request).then(
    (brokenAt) => port.postMessage({ ok: true, brokenAt } satisfies WalkAnswer),
    (error) => port.postMessage({ ok: false, message: String((error as Error)?.message ?? error) } satisfies WalkAnswer),
  );
}

if (!isMainThread && (workerData as Partial<WalkRequest> | undefined)?.kind === "audit-chain-walk") serve();
