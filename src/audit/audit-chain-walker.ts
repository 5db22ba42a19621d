import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { DatabaseConfig } from "../config/config";
import type { ChainCursor } from "./audit-chain-segment";
import { AUDIT_CHAIN_WALK_WORKER_FILE, WalkAnswer, WalkRequest } from "./audit-chain-walk-worker";

/** Runs a TypeScript worker entry from source (tests under ts-jest do not build dist/); builds run the compiled file. */
const SOURCE_LOADER = path.join(__dirname, "..", "media-workers", "load-ts-worker.cjs");

/**
 * Verifies a segment of the audit chain on a worker thread of its own (one per walk: checkpoints come a minute
 * apart), reading through its own connection to the same database.
 */
export class AuditChainWalker {
  constructor(private readonly database: DatabaseConfig) {}

  /** The first position after `from` that does not verify up to `toPosition`, or null when all of them do. */
  walk(from: ChainCursor, toPosition: number): Promise<number | null> {
    const request: WalkRequest = { kind: "audit-chain-walk", database: this.database, from, toPosition };
    const source = AUDIT_CHAIN_WALK_WORKER_FILE.endsWith(".ts");
    if (source && !fs.existsSync(SOURCE_LOADER)) throw new Error(`the loader ${SOURCE_LOADER} for running the audit chain walk from source is missing`);
    const worker = source
      ? new Worker(SOURCE_LOADER, { workerData: { ...request, entry: AUDIT_CHAIN_WALK_WORKER_FILE } })
      : new Worker(AUDIT_CHAIN_WALK_WORKER_FILE, { workerData: request });
    return new Promise<number | null>((resolve, reject) => {
      worker.once("message", (answer: WalkAnswer) => (answer.ok ? resolve(answer.brokenAt) : reject(new Error(`the audit chain walk failed: ${answer.message}`))));
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the audit chain walk's worker exited with code ${code} before answering`)));
    }).finally(() => void worker.terminate());
  }
}
