import { Worker } from "node:worker_threads";
import { workerScript } from "../common/worker-script";
import type { DatabaseConfig } from "../config/config";
import type { ChainCursor } from "./audit-chain-segment";
import { AUDIT_CHAIN_WALK_WORKER_FILE, WalkAnswer, WalkRequest } from "./audit-chain-walk-worker";

/**
 * Verifies a segment of the audit chain on a worker thread of its own (one per walk: checkpoints come a minute
 * apart), reading through its own connection to the same database.
 */
export class AuditChainWalker {
  constructor(private readonly database: DatabaseConfig) {}

  /** The first position after `from` that does not verify up to `toPosition`, or null when all of them do. */
  walk(from: ChainCursor, toPosition: number): Promise<number | null> {
    const request: WalkRequest = { kind: "audit-chain-walk", database: this.database, from, toPosition };
    const script = workerScript(AUDIT_CHAIN_WALK_WORKER_FILE);
    const worker = new Worker(script.file, { workerData: { ...request, entry: script.entry } });
    return new Promise<number | null>((resolve, reject) => {
      worker.once("message", (answer: WalkAnswer) => (answer.ok ? resolve(answer.brokenAt) : reject(new Error(`the audit chain walk failed: ${answer.message}`))));
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the audit chain walk's worker exited with code ${code} before answering`)));
    }).finally(() => void worker.terminate());
  }
}
