import { Worker } from "node:worker_threads";
import { workerScript } from "../common/worker-script";
import type { MediaFrame } from "../media/media-frame";
import { Mp3EncoderKind, mp3EncoderKind, Mp3Summary } from "../media/mp3-encoder";
import type { PauseBehavior, PauseOutcome, PauseSpan } from "../media/pause-cutter";
import { FrameBatchWriter } from "./frame-batch";
import { PIPELINE_WORKER_FILE } from "./pipeline-worker";
import { COUNT_FIELDS, ControlCommand, FrameRejection, PipelineBatch, PipelineReply, PipelineWorkerData, SessionReport } from "./pipeline-protocol";

/**
 * Frames wait at most this long on the event loop before crossing to their worker, so a batch holds many calls:
 * each batch costs the event loop a postMessage, waking the worker, and a reply to receive (at 40 ms rather than
 * 20, about 4 % less CPU per call). Two frame periods: audio is held back far longer than this (mixer, pause
 * cutter), and pauses travel in the same batches, in order, so nothing but a few ms of latency depends on it.
 */
const FLUSH_INTERVAL_MS = 40;
const NO_REJECTIONS: readonly FrameRejection[] = [];

/** What a call's pipeline tells the session that feeds it, as its worker gets to it. */
export interface PipelineListener {
  frames(counts: { accepted: number; dropped: number; rejected: number }, rejections: readonly FrameRejection[]): void;
  pause(span: PauseSpan, outcome: PauseOutcome): void;
  mp3(bytes: Uint8Array): void;
  /** The pipeline is gone (its worker crashed, or it threw): nothing more comes, and `finish` rejects. */
  failed(error: MediaPipelineError): void;
}

export class MediaPipelineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MediaPipelineError";
  }
}

export interface MediaWorkerPoolOptions {
  /** Worker threads; each call is pinned to one for its whole life. */
  size: number;
  /** Nice levels below the event loop (see PipelineWorkerData); 0 when absent. */
  niceness?: number;
  /** The LAME build the workers encode with (see PipelineWorkerData); the thread's default when absent. */
  mp3Encoder?: Mp3EncoderKind;
  log: (message: string, error?: unknown) => void;
  /** Fault injection for the crash tests (see PipelineWorkerData). */
  crashOnPause?: boolean;
}

/**
 * The media pipeline's worker threads. Mixing, pause cutting and MP3 encoding of every live call run
 * here, off the event loop, which keeps only sockets, parsing and control. Each call is pinned to the
 * least busy worker when it opens; its frames and commands travel in batches (one transferred buffer per
 * worker every FLUSH_INTERVAL_MS) and keep their order. A worker that dies fails its own calls, loudly,
 * and is replaced for the next call; the others never notice. Workers start on first use.
 */
export class MediaWorkerPool {
  private readonly slots: (PoolWorker | undefined)[];
  private readonly script: { file: string; entry?: string };
  private nextSession = 1;
  private closed = false;

  constructor(private readonly options: MediaWorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new Error(`a media worker pool needs at least one worker (got ${options.size})`);
    this.slots = new Array(options.size).fill(undefined);
    this.script = workerScript(PIPELINE_WORKER_FILE);
  }

  get size(): number {
    return this.slots.length;
  }

  /** Threads running now (workers start on first use and are replaced after a crash). */
  get runningWorkers(): number {
    return this.slots.filter((slot) => slot !== undefined).length;
  }

  /** Batches posted to workers and not answered yet: above a handful, the workers are falling behind. */
  get backlogBatches(): number {
    return this.slots.reduce((sum, slot) => sum + (slot?.inFlight ?? 0), 0);
  }

  /** Starts a call's pipeline on the least busy worker. */
  open(behavior: PauseBehavior, listener: PipelineListener): RemotePipeline {
    if (this.closed) throw new MediaPipelineError("the media worker pool is shut down");
    let index = 0;
    for (let i = 1; i < this.slots.length; i++) if ((this.slots[i]?.load ?? 0) < (this.slots[index]?.load ?? 0)) index = i;
    const worker = (this.slots[index] ??= this.spawn(index));
    return worker.open(this.nextSession++, behavior, listener);
  }

  /** Terminates every worker; calls still on them fail (close their sessions first). */
  async close(): Promise<void> {
    this.closed = true;
    const running = this.slots.filter((slot): slot is PoolWorker => slot !== undefined);
    this.slots.fill(undefined);
    await Promise.all(running.map((worker) => worker.terminate()));
  }

  private spawn(index: number): PoolWorker {
    const data: PipelineWorkerData = {
      entry: this.script.entry,
      crashOnPause: this.options.crashOnPause ?? false,
      niceness: this.options.niceness ?? 0,
      mp3Encoder: this.options.mp3Encoder ?? mp3EncoderKind(),
    };
    const worker = new PoolWorker(index, new Worker(this.script.file, { workerData: data }), (crashed, cause, calls) => {
      if (this.slots[index] === crashed) this.slots[index] = undefined;
      this.options.log(`media worker ${index} (thread ${crashed.threadId}) crashed; its ${calls.length} live call(s) failed: ${calls.join(", ") || "none"}`, cause);
    });
    return worker;
  }
}

/** A call's pipeline as the main thread sees it: fire-and-forget input, results through its listener. */
export class RemotePipeline {
  private failure: MediaPipelineError | undefined;
  private finishing: { resolve(summary: Mp3Summary): void; reject(error: Error): void } | undefined;
  private finished: Promise<Mp3Summary> | undefined;

  constructor(
    private readonly worker: PoolWorker,
    readonly session: number,
    readonly label: string,
    private readonly listener: PipelineListener,
  ) {}

  get failed(): MediaPipelineError | undefined {
    return this.failure;
  }

  pushFrame(frame: MediaFrame): void {
    if (!this.failure && !this.finished) this.worker.frame(this.session, frame);
  }

  applyPause(span: PauseSpan): void {
    if (!this.failure && !this.finished) this.worker.control({ op: "pause", session: this.session, span });
  }

  /** Drains the call through the worker; resolves with the summary of the complete MP3 (its last bytes went to `mp3`). */
  finish(): Promise<Mp3Summary> {
    this.finished ??= this.failure
      ? Promise.reject(this.failure)
      : new Promise<Mp3Summary>((resolve, reject) => {
          this.finishing = { resolve, reject };
          this.worker.control({ op: "finish", session: this.session });
        });
    return this.finished;
  }

  /** Drops the call on the worker without finishing its MP3. */
  discard(): void {
    if (this.failure || this.finished) return;
    this.finished = Promise.reject(new MediaPipelineError("discarded"));
    this.finished.catch(() => undefined);
    this.worker.control({ op: "discard", session: this.session });
    this.worker.release(this.session);
  }

  /** @internal PoolWorker delivers the worker's frame verdicts here, before the batch's reports. */
  counted(accepted: number, dropped: number, rejected: number): void {
    if (!this.failure) this.listener.frames({ accepted, dropped, rejected }, NO_REJECTIONS);
  }

  /** @internal PoolWorker delivers the worker's other results here. */
  receive(report: SessionReport): void {
    if (this.failure) return;
    if (report.rejections.length > 0) this.listener.frames({ accepted: 0, dropped: 0, rejected: 0 }, report.rejections);
    for (const { span, outcome } of report.pauses) this.listener.pause(span, outcome);
    if (report.mp3) this.listener.mp3(report.mp3);
    if (report.failed !== null) this.fail(new MediaPipelineError(`the media pipeline of ${this.label} failed: ${report.failed}`));
    else if (report.finished) this.finishing?.resolve(report.finished);
  }

  /** @internal */
  fail(error: MediaPipelineError): void {
    if (this.failure) return;
    this.failure = error;
    this.worker.release(this.session);
    this.finishing?.reject(error);
    this.listener.failed(error);
  }
}

type CrashListener = (worker: PoolWorker, cause: unknown, calls: string[]) => void;

/** One worker thread, the calls pinned to it, and the batch being gathered for it. */
class PoolWorker {
  readonly threadId: number;
  private readonly calls = new Map<number, RemotePipeline>();
  private readonly frames = new FrameBatchWriter();
  private controls: ControlCommand[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private pending = 0;
  private crashCause: unknown;
  private terminating = false;

  constructor(
    readonly index: number,
    private readonly thread: Worker,
    onCrash: CrashListener,
  ) {
    this.threadId = thread.threadId;
    thread.on("message", (reply: PipelineReply) => this.onReply(reply));
    thread.on("error", (error) => (this.crashCause ??= error));
    thread.on("exit", (code) => {
      clearTimeout(this.flushTimer);
      if (this.terminating) return;
      const cause = this.crashCause ?? new Error(`exited with code ${code}`);
      const calls = [...this.calls.values()];
      onCrash(this, cause, calls.map((call) => call.label));
      const message = `media worker ${index} crashed: ${cause instanceof Error ? cause.message : String(cause)}`;
      for (const call of calls) call.fail(new MediaPipelineError(message));
    });
  }

  /** Calls pinned here. */
  get load(): number {
    return this.calls.size;
  }

  get inFlight(): number {
    return this.pending;
  }

  open(session: number, behavior: PauseBehavior, listener: PipelineListener): RemotePipeline {
    const call = new RemotePipeline(this, session, `call session ${session} on media worker ${this.index}`, listener);
    this.calls.set(session, call);
    this.control({ op: "open", session, behavior });
    return call;
  }

  frame(session: number, frame: MediaFrame): void {
    this.frames.append(session, frame);
    this.schedule();
  }

  control(command: { session: number } & DistributiveOmit<ControlCommand, "beforeFrame">): void {
    this.controls.push({ ...command, beforeFrame: this.frames.count } as ControlCommand);
    this.schedule();
  }

  release(session: number): void {
    this.calls.delete(session);
  }

  async terminate(): Promise<void> {
    this.terminating = true;
    clearTimeout(this.flushTimer);
    await this.thread.terminate();
  }

  private schedule(): void {
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.terminating) return;
    const batch: PipelineBatch = { frames: this.frames.take(), controls: this.controls };
    this.controls = [];
    this.pending++;
    this.thread.postMessage(batch, [batch.frames.buffer as ArrayBuffer]);
  }

  private onReply(reply: PipelineReply): void {
    this.pending--;
    const counts = reply.counts;
    for (let i = 0; i < counts.length; i += COUNT_FIELDS) this.calls.get(counts[i])?.counted(counts[i + 1], counts[i + 2], counts[i + 3]);
    for (const report of reply.reports) {
      const call = this.calls.get(report.session);
      if (!call) continue;
      if (report.finished || report.failed !== null) this.calls.delete(report.session);
      call.receive(report);
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

