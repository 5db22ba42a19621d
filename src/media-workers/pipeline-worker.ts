import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { PipelineHost } from "./pipeline-host";
import type { PipelineBatch, PipelineReply, PipelineWorkerData } from "./pipeline-protocol";

/**
 * This module's own file, for the pool to start it: the compiled .js in a build, the .ts in a source run.
 * Importing it (as the pool does, which also puts it in every build) starts nothing on the main thread.
 */
export const PIPELINE_WORKER_FILE = __filename;

/**
 * How much nicer the workers are than the event loop: when a core is short, the kernel gives it to the event loop
 * first. The event loop answers sockets and requests and must stay prompt (its p99 delay is what an instance
 * is judged by), while a call's audio waits in the pipeline's hold-back anyway (hundreds of ms), so a worker
 * running a few ms later costs nothing. Lowering its own priority is always permitted.
 */
const WORKER_NICENESS = 5;
const MAX_NICE = 19;

/** Linux: this thread's own id, which setpriority takes to renice one thread rather than the process. */
function yieldToEventLoop(): void {
  try {
    const threadId = Number(readlinkSync("/proc/thread-self").split("/").pop());
    setPriority(threadId, Math.min(MAX_NICE, getPriority(threadId) + WORKER_NICENESS));
  } catch {
    // Elsewhere (no /proc/thread-self) the workers keep the process's priority.
  }
}

/** A pipeline worker thread: runs the batches the pool posts, strictly one after another, and posts each reply. */
function serve(): void {
  const port = parentPort;
  if (!port) throw new Error("pipeline-worker runs as a worker thread (MediaWorkerPool starts it)");
  const settings = workerData as PipelineWorkerData;
  yieldToEventLoop();
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
