import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";

export const SQLITE_CHECKPOINT_WORKER_SCRIPT = path.join(__dirname, "sqlite-checkpoint-worker.mjs");

/**
 * SQLite's own checkpoints would run inside a COMMIT on the event loop, every 1,000 pages of WAL: copying those
 * pages into the database file and syncing both, milliseconds during which no request is served (under the
 * pause/resume load of `bench:control`, 42 COMMITs over 3 ms in 4 s; 2 with this). Instead the main connection
 * checkpoints only as a backstop (BACKSTOP_WAL_PAGES), and this runs PASSIVE checkpoints on a worker thread
 * with its own connection shortly after commits: it never waits for or blocks a writer, and once it has
 * copied every frame the next writer starts the WAL over from its beginning (and cuts the file back to
 * SOFT_LIMIT_WAL_BYTES, SQLite's `journal_size_limit`). Under writes that never pause, a checkpoint may never find
 * the log copied whole at the moment a writer starts: once the file grows past that size, the group commit
 * waits (`catchUp`) for one checkpoint that covers everything, off the loop, instead of the log growing to the
 * backstop.
 */
export class SqliteCheckpointer {
  /** SQLite's automatic checkpoint on the main connection, if the worker falls behind or fails: 10 × SQLite's default. */
  static readonly BACKSTOP_WAL_PAGES = 10_000;
  /** Past this size of the log, writers wait for a checkpoint to catch up; a log started over is cut back to it. */
  static readonly SOFT_LIMIT_WAL_BYTES = 16 * 1024 * 1024;
  /** Waiting for the checkpoint that starts next, and for the one running. */
  private nextWaiters: (() => void)[] = [];
  private runningWaiters: (() => void)[] = [];
  /** A checkpoint writers waited for copied the whole log: the next writer starts it over, no need to wait again. */
  private caughtUp = false;
  private readonly walFile: string;
  private worker: Worker | undefined;
  private running = false;
  private pending = false;
  private timer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastStartedAt = -Infinity;
  private warned = false;
  private closed = false;
  /** What the last checkpoint reported: WAL frames, and how many of them are in the database file. */
  last: { walFrames: number; checkpointedFrames: number } | undefined;

  constructor(
    private readonly databaseFile: string,
    private readonly log: (message: string, error?: unknown) => void,
    private readonly options = { minIntervalMs: 100, idleMs: 2_000 },
    private readonly script = SQLITE_CHECKPOINT_WORKER_SCRIPT,
  ) {
    this.walFile = `${databaseFile}-wal`;
  }

  /** Something was committed: a checkpoint follows, at most one per `minIntervalMs`, never two at once. */
  committed(): void {
    if (this.closed) return;
    if (this.running) return void (this.pending = true);
    if (this.timer) return;
    const wait = this.lastStartedAt + this.options.minIntervalMs - performance.now();
    if (wait <= 0) return this.start();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, wait);
    this.timer.unref();
  }

  /**
   * Before a group commit: when the log is past its soft limit, resolves once a checkpoint that started after
   * this call has copied what was committed before it, so that the next writer can start the log over.
   * Otherwise undefined. (A file past the limit is a log past it: starting over cuts the file back.)
   */
  catchUp(): Promise<void> | undefined {
    if (this.caughtUp) return void (this.caughtUp = false);
    if (this.closed || (fs.statSync(this.walFile, { throwIfNoEntry: false })?.size ?? 0) <= SqliteCheckpointer.SOFT_LIMIT_WAL_BYTES) return undefined;
    const caughtUp = new Promise<void>((resolve) => this.nextWaiters.push(resolve));
    if (!this.running) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.start();
    }
    return caughtUp;
  }

  /** Ends the worker thread; a checkpoint in progress finishes or is abandoned, which SQLite tolerates. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.idleTimer);
    this.wake();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  /** No one waits on a checkpoint that will not come. */
  private wake(): void {
    for (const resolve of [...this.runningWaiters, ...this.nextWaiters]) resolve();
    this.runningWaiters = [];
    this.nextWaiters = [];
  }

  private start(): void {
    if (this.closed) return;
    this.running = true;
    this.pending = false;
    this.lastStartedAt = performance.now();
    this.runningWaiters = this.nextWaiters;
    this.nextWaiters = [];
    clearTimeout(this.idleTimer);
    this.ensureWorker().postMessage(null);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script, { workerData: { file: this.databaseFile } });
    worker.unref();
    worker.on("message", (answer: { ok: true; walFrames: number; checkpointedFrames: number } | { ok: false; message: string }) => {
      this.running = false;
      if (answer.ok) this.last = { walFrames: answer.walFrames, checkpointedFrames: answer.checkpointedFrames };
      else this.warnOnce(new Error(answer.message));
      this.caughtUp = answer.ok && this.runningWaiters.length > 0 && answer.checkpointedFrames === answer.walFrames;
      for (const resolve of this.runningWaiters) resolve();
      this.runningWaiters = [];
      if (this.nextWaiters.length > 0) return this.start();
      if (this.pending) return this.committed();
      // An idle server keeps no thread for this: the worker ends and starts again with the next commit.
      this.idleTimer = setTimeout(() => {
        if (this.worker !== worker || this.running) return;
        this.worker = undefined;
        void worker.terminate();
      }, this.options.idleMs);
      this.idleTimer.unref();
    });
    // A worker that cannot run (its script or the driver missing) is not started again and again: the
    // backstop checkpoints from then on.
    const fail = (error: unknown) => {
      this.warnOnce(error);
      this.closed = true;
      this.worker = undefined;
      this.running = false;
      this.wake();
    };
    worker.on("error", fail);
    // Ended by anything but this class (idle, close): the same, or writers waiting on it would wait forever.
    worker.on("exit", (code) => this.worker === worker && fail(new Error(`the checkpoint worker exited with code ${code}`)));
    return (this.worker = worker);
  }

  private warnOnce(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.log(`SQLite checkpoint on its worker thread failed (reported once; past ${SqliteCheckpointer.BACKSTOP_WAL_PAGES} pages of log the main connection checkpoints itself)`, error);
  }
}
