import { msToSamples, PcmChunk, samplesToMs } from "./media-frame";
import { clipAndMerge, SampleInterval, totalLength } from "./sample-intervals";

/** `silence`: a paused span becomes digital silence and the duration is kept; `skip`: the span is removed. */
export type PauseBehavior = "silence" | "skip";

/** A paused span in stream time, as the control plane records it (`endOffsetMs` null while still paused). */
export interface PauseSpan {
  startOffsetMs: number;
  endOffsetMs: number | null;
}

export interface PauseCutterOptions {
  behavior: PauseBehavior;
  /** How long audio waits before release, so a pause learned this much late still cuts at its own offset. */
  holdBackMs: number;
}

export const DEFAULT_PAUSE_CUTTER_OPTIONS: PauseCutterOptions = { behavior: "silence", holdBackMs: 500 };

export type PauseOutcome =
  | { kind: "applied" }
  /** The pause began before audio that was already released: `leakedMs` of paused audio got past the cutter. */
  | { kind: "applied-late"; leakedMs: number }
  | { kind: "rejected"; reason: "invalid-offset" | "end-before-start" };

export type CutterChunkOutcome = { kind: "accepted" } | { kind: "rejected"; reason: "non-contiguous" | "finished" };

export interface CutterPushResult {
  outcome: CutterChunkOutcome;
  /** Audio that left the hold-back window with every known pause applied; on the output timeline. */
  released: PcmChunk | null;
}

/**
 * Removes paused audio before it reaches the encoder. Input is the mixer's contiguous stream-time PCM;
 * output is on the recording timeline (identical in `silence` mode, shorter in `skip` mode).
 *
 * Pauses are applied when audio leaves the hold-back window rather than when it arrives, so both a
 * late pause and a late resume cut at their own offsets. Cuts only grow: a pause can be closed once
 * (open → end offset) or extended, never shortened, so a confused caller errs towards cutting more.
 */
export class PauseCutter {
  private readonly options: PauseCutterOptions;
  private readonly cuts: SampleInterval[] = [];
  private readonly held: PcmChunk[] = [];
  private receivedUntil = 0;
  private releasedUntil = 0;
  private outputUntil = 0;
  private finished = false;

  constructor(options: Partial<PauseCutterOptions> = {}) {
    this.options = { ...DEFAULT_PAUSE_CUTTER_OPTIONS, ...options };
  }

  /** Input samples released so far; paused audio before this point could no longer be cut. */
  get releasedSamples(): number {
    return this.releasedUntil;
  }

  applyPause(span: PauseSpan): PauseOutcome {
    const { startOffsetMs, endOffsetMs } = span;
    if (!isOffset(startOffsetMs) || (endOffsetMs !== null && !isOffset(endOffsetMs))) {
      return { kind: "rejected", reason: "invalid-offset" };
    }
    const start = msToSamples(startOffsetMs);
    const end = endOffsetMs === null ? Infinity : msToSamples(endOffsetMs);
    if (end < start) return { kind: "rejected", reason: "end-before-start" };

    const alreadyCut = clipAndMerge(this.cuts, start, Math.min(end, this.releasedUntil));
    const leaked = Math.max(0, Math.min(end, this.releasedUntil) - start) - totalLength(alreadyCut);

    const sameStart = this.cuts.find((cut) => cut.start === start);
    if (!sameStart) this.cuts.push({ start, end });
    else if (sameStart.end === Infinity) sameStart.end = end;
    else sameStart.end = Math.max(sameStart.end, end);

    return leaked > 0 ? { kind: "applied-late", leakedMs: samplesToMs(leaked) } : { kind: "applied" };
  }

  push(chunk: PcmChunk): CutterPushResult {
    if (this.finished) return { outcome: { kind: "rejected", reason: "finished" }, released: null };
    if (chunk.startSample !== this.receivedUntil) {
      return { outcome: { kind: "rejected", reason: "non-contiguous" }, released: null };
    }
    this.held.push(chunk);
    this.receivedUntil += chunk.samples.length;
    return { outcome: { kind: "accepted" }, released: this.release(this.receivedUntil - msToSamples(this.options.holdBackMs)) };
  }

  /** Releases everything held, with pauses still open cutting to the end. */
  flush(): PcmChunk | null {
    if (this.finished) return null;
    this.finished = true;
    return this.release(this.receivedUntil);
  }

  private release(until: number): PcmChunk | null {
    if (until <= this.releasedUntil) return null;
    const from = this.releasedUntil;
    const audio = this.takeHeld(from, until);
    const cuts = clipAndMerge(this.cuts, from, until).map((cut) => ({ start: cut.start - from, end: cut.end - from }));
    const output = this.options.behavior === "silence" ? silenceSpans(audio, cuts) : removeSpans(audio, cuts);
    this.releasedUntil = until;
    const released = { startSample: this.outputUntil, samples: output };
    this.outputUntil += output.length;
    return output.length > 0 ? released : null;
  }

  /**
   * Copies [from, until) out of the held chunks and drops what is no longer needed. The chunks are contiguous
   * and in order (push refuses anything else) and those before `from` are gone, so the copy stops at the first
   * chunk past `until`: a release touches a frame or two, not the whole hold-back window.
   */
  private takeHeld(from: number, until: number): Int16Array {
    const audio = new Int16Array(until - from);
    let consumed = 0;
    for (const chunk of this.held) {
      if (chunk.startSample >= until) break;
      const chunkEnd = chunk.startSample + chunk.samples.length;
      const overlapFrom = Math.max(from, chunk.startSample);
      const overlapTo = Math.min(until, chunkEnd);
      if (overlapTo > overlapFrom) {
        audio.set(chunk.samples.subarray(overlapFrom - chunk.startSample, overlapTo - chunk.startSample), overlapFrom - from);
      }
      if (chunkEnd <= until) consumed++;
    }
    this.held.splice(0, consumed);
    return audio;
  }
}

function isOffset(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function silenceSpans(audio: Int16Array, cuts: readonly SampleInterval[]): Int16Array {
  for (const cut of cuts) audio.fill(0, cut.start, cut.end);
  return audio;
}

function removeSpans(audio: Int16Array, cuts: readonly SampleInterval[]): Int16Array {
  const kept = new Int16Array(audio.length - totalLength(cuts));
  let write = 0;
  let read = 0;
  for (const cut of cuts) {
    kept.set(audio.subarray(read, cut.start), write);
    write += cut.start - read;
    read = cut.end;
  }
  kept.set(audio.subarray(read), write);
  return kept;
}
