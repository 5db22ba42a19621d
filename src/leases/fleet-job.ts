import type { LeaseService } from "./lease.service";

export interface FleetJobOptions {
  /** The lease's name: one per job, e.g. "job:media-sweep". */
  name: string;
  /** This instance's id (the lease holder). */
  holderId: string;
  /** How often the job should run across the whole fleet. */
  intervalMs: number;
  job: () => Promise<unknown>;
  onError?: (error: unknown) => void;
}

/**
 * A periodic job that runs about once per interval across the fleet, whichever instances are up. Every
 * instance ticks; the one that takes the lease runs the job and then keeps the lease for the rest of the
 * interval, so the others skip it. When the holder dies its lease lapses within one interval and the next
 * instance to tick takes over.
 */
export class FleetJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private nextDueAt = 0;

  constructor(
    private readonly leases: LeaseService,
    private readonly options: FleetJobOptions,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), Math.max(50, Math.floor(this.options.intervalMs / 2)));
    this.timer.unref();
  }

  /** Runs the job now if it is due and no other instance holds it; resolves when done (or skipped). */
  tick(now = Date.now()): Promise<void> {
    if (this.running || now < this.nextDueAt) return this.running ?? Promise.resolve();
    this.running = this.runIfLeased(now).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.leases.release(this.options.name, this.options.holderId).catch(() => undefined);
  }

  private async runIfLeased(now: number): Promise<void> {
    const { name, holderId, intervalMs } = this.options;
    try {
      if (!(await this.leases.tryAcquire(name, holderId, intervalMs))) return;
      const renewal = setInterval(() => void this.leases.renew(name, holderId, intervalMs).catch(() => undefined), Math.max(50, Math.floor(intervalMs / 3)));
      renewal.unref();
      try {
        await this.options.job();
      } finally {
        clearInterval(renewal);
      }
      // Kept, not released: the lease now marks the job done until the next interval.
      await this.leases.renew(name, holderId, Math.max(1, now + intervalMs - Date.now()));
      this.nextDueAt = now + intervalMs;
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
