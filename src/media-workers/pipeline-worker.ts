import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { useMp3Encoder } from "../media/mp3-encoder";
import { PipelineHost } from "./pipeline-host";
import type { PipelineBatch, PipelineReply, PipelineWorkerData } from "./pipeline-protocol";

/**
 * This module's own file, for the pool to start it: the compiled .js in a build, the .ts in a source run.
 * Importing it (as the pool does, which also puts it in every build) starts nothing on the main thread.
 */
export const PIPELINE_WORKER_FILE = __filename;

const MAX_NICE = 19;

/** Lowers this thread's priority (see PipelineWorkerData.niceness); lowering one's own is always permitted. */
function yieldToEventLoop(niceness: number): void {
  if (niceness <= 0) return;
  try {
    // Linux: setpriority with this thread's own id renices the thread rather than the process.
    const threadId = Number(readlinkSync("/proc/thread-self").split("/").pop());
    setPriority(threadId, Math.min(MAX_NICE, getPriority(threadId) + niceness));
  } catch {
    // Elsewhere (no /proc/thread-self) the workers keep the process's priority.
  }
}

/** A pipeline worker thread: runs the batches the pool posts, strictly one after another, and posts each reply. */
function serve(): void {
  const port = parentPort;
  if (!port) throw new Error("pipeline-worker runs as a worker thread (MediaWorkerPool starts it)");
  const settings = workerData as PipelineWorkerData;
  yieldToEventLoop(settings.niceness);
  useMp3Encoder(settings.mp3Encoder);
  const host = new PipelineHost();
  let queue = Promise.resolve();
  port.on("message", (batch: PipelineBatch) => {
    if (settings.crashOnPause && batch.controls.some((command) => command.op === "pause")) {
      // An uncaught exception, as a bug in the encoder would throw: the thread dies with every call on it.
      setImmediate(() => {
        throw new Error("fault injected: media worker crashed on a pause");
      });
      return;
    }
    queue = queue.then(async () => port.postMessage((await host.handle(batch)) satisfies PipelineReply));
  });
}

if (!isMainThread) serve();
