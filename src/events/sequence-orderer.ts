export interface Sequenced {
  recordingId: string;
  sequence: number;
}

/**
 * Hands events on per recording in sequence order, whatever order they arrived in (two commits can publish
 * in the opposite order, and instances publish independently). Duplicates and stale events are dropped; a
 * gap is waited on for `gapWaitMs`, then skipped so one lost event cannot stall the stream.
 */
export class SequenceOrderer<T extends Sequenced> {
  private readonly last = new Map<string, number>();
  private readonly pending = new Map<string, Map<number, T>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly gapWaitMs: number,
    private readonly emit: (event: T) => void,
  ) {}

  /** The sequence already delivered (e.g. by a snapshot); events at or below it are dropped. */
  seed(recordingId: string, sequence: number): void {
    this.last.set(recordingId, Math.max(sequence, this.last.get(recordingId) ?? 0));
  }

  accept(event: T): void {
    const last = this.last.get(event.recordingId) ?? 0;
    if (event.sequence <= last) return;
    const waiting = this.pending.get(event.recordingId) ?? new Map<number, T>();
    this.pending.set(event.recordingId, waiting);
    waiting.set(event.sequence, event);
    this.drain(event.recordingId, false);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.pending.clear();
  }

  private drain(recordingId: string, skipGap: boolean): void {
    const waiting = this.pending.get(recordingId);
    if (!waiting) return;
    let last = this.last.get(recordingId) ?? 0;
    for (;;) {
      let next = waiting.get(last + 1);
      if (!next && skipGap && waiting.size > 0) {
        next = waiting.get(Math.min(...waiting.keys()));
        skipGap = false;
      }
      if (!next) break;
      waiting.delete(next.sequence);
      last = next.sequence;
      this.last.set(recordingId, last);
      this.emit(next);
    }
    clearTimeout(this.timers.get(recordingId));
    this.timers.delete(recordingId);
    if (waiting.size === 0) {
      this.pending.delete(recordingId);
      return;
    }
    const timer = setTimeout(() => this.drain(recordingId, true), this.gapWaitMs);
    timer.unref();
    this.timers.set(recordingId, timer);
  }
}
