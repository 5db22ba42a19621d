import { decodeMulaw } from "./mulaw";
import { MediaFrame, msToSamples, PcmChunk, Track, TRACKS } from "./media-frame";

export interface TrackMixerOptions {
  /** Audio younger than this (behind the newest frame of either track) is held so the other track can catch up. */
  holdBackMs: number;
  /** A frame starting further than this past the newest audio is treated as malformed instead of filled with silence. */
  maxGapMs: number;
  /** Largest frame accepted; Twilio sends 160 samples (20 ms). */
  maxFrameSamples: number;
  /**
   * A frame starting within this of where its track's newest frame ended is placed right there:
   * millisecond timestamps jitter, and a 1 ms hole or overlap would click or cost the whole frame.
   */
  snapToleranceMs: number;
}

export const DEFAULT_TRACK_MIXER_OPTIONS: TrackMixerOptions = { holdBackMs: 200, maxGapMs: 5000, maxFrameSamples: 8000, snapToleranceMs: 2 };

export type FrameOutcome =
  | { kind: "accepted" }
  /** `late`: starts inside audio already released (arrived after the hold-back, or a replay); `duplicate`: overlaps a held frame of its track. */
  | { kind: "dropped"; reason: "late" | "duplicate" }
  | {
      kind: "rejected";
      reason: "unknown-track" | "invalid-timestamp" | "invalid-payload" | "oversized-payload" | "gap-too-large" | "finished";
    };

export interface MixerPushResult {
  outcome: FrameOutcome;
  /** Mixed audio that became final with this push, or null. */
  mixed: PcmChunk | null;
}

export interface TrackMixerStats {
  accepted: number;
  dropped: number;
  rejected: number;
  releasedSamples: number;
}

interface HeldFrame {
  start: number;
  samples: Int16Array;
}

/**
 * Aligns Twilio's inbound and outbound tracks on the stream timeline (8 kHz samples since stream start)
 * and mixes them to mono. Gaps in either track become silence. Output is contiguous from sample 0.
 *
 * Mixing sums the tracks with saturation rather than averaging: the two parties rarely talk at once,
 * and averaging would halve (−6 dB) every voice all the time to protect the rare loud double-talk,
 * which μ-law's ±32124 ceiling makes unlikely to clip at normal telephone levels anyway.
 */
export class TrackMixer {
  private readonly options: TrackMixerOptions;
  private readonly held: Record<Track, HeldFrame[]> = { inbound: [], outbound: [] };
  /** Per track, the end of its latest-ending accepted frame. */
  private readonly trackEnd: Record<Track, number> = { inbound: 0, outbound: 0 };
  /** Everything before this sample has been released and can no longer change. */
  private releasedUntil = 0;
  /** End of the newest accepted frame of either track: the mixer's notion of "now". */
  private newestEnd = 0;
  private finished = false;
  private readonly counters: TrackMixerStats = { accepted: 0, dropped: 0, rejected: 0, releasedSamples: 0 };

  constructor(options: Partial<TrackMixerOptions> = {}) {
    this.options = { ...DEFAULT_TRACK_MIXER_OPTIONS, ...options };
  }

  get stats(): Readonly<TrackMixerStats> {
    return { ...this.counters };
  }

  /** Never throws: malformed frames come back as a rejection and leave the mixer unchanged. */
  push(frame: MediaFrame): MixerPushResult {
    const outcome = this.place(frame);
    if (outcome.kind === "accepted") this.counters.accepted++;
    else if (outcome.kind === "dropped") this.counters.dropped++;
    else this.counters.rejected++;
    const mixed = outcome.kind === "accepted" ? this.release(this.newestEnd - msToSamples(this.options.holdBackMs)) : null;
    return { outcome, mixed };
  }

  /** Releases everything still held; the call is over and later frames are rejected. */
  flush(): PcmChunk | null {
    if (this.finished) return null;
    this.finished = true;
    return this.release(this.newestEnd);
  }

  private place(frame: MediaFrame): FrameOutcome {
    if (this.finished) return { kind: "rejected", reason: "finished" };
    if (typeof frame !== "object" || frame === null || !TRACKS.includes(frame.track)) {
      return { kind: "rejected", reason: "unknown-track" };
    }
    if (typeof frame.timestampMs !== "number" || !Number.isFinite(frame.timestampMs) || frame.timestampMs < 0) {
      return { kind: "rejected", reason: "invalid-timestamp" };
    }
    if (!(frame.mulaw instanceof Uint8Array) || frame.mulaw.length === 0) return { kind: "rejected", reason: "invalid-payload" };
    if (frame.mulaw.length > this.options.maxFrameSamples) return { kind: "rejected", reason: "oversized-payload" };

    const stamped = msToSamples(frame.timestampMs);
    const expected = this.trackEnd[frame.track];
    const start = Math.abs(stamped - expected) <= msToSamples(this.options.snapToleranceMs) ? expected : stamped;
    const end = start + frame.mulaw.length;
    if (start < this.releasedUntil) return { kind: "dropped", reason: "late" };
    if (start > this.newestEnd + msToSamples(this.options.maxGapMs)) return { kind: "rejected", reason: "gap-too-large" };

    const frames = this.held[frame.track];
    const index = insertionIndex(frames, start);
    const previous = frames[index - 1];
    const next = frames[index];
    if ((previous && previous.start + previous.samples.length > start) || (next && next.start < end)) {
      return { kind: "dropped", reason: "duplicate" };
    }
    frames.splice(index, 0, { start, samples: decodeMulaw(frame.mulaw) });
    this.trackEnd[frame.track] = Math.max(this.trackEnd[frame.track], end);
    this.newestEnd = Math.max(this.newestEnd, end);
    return { kind: "accepted" };
  }

  private release(until: number): PcmChunk | null {
    if (until <= this.releasedUntil) return null;
    const from = this.releasedUntil;
    const mixed = new Int16Array(until - from);
    for (const track of TRACKS) {
      const frames = this.held[track];
      for (const frame of frames) {
        if (frame.start >= until) break;
        mixInto(mixed, from, frame);
      }
      let consumed = 0;
      while (consumed < frames.length && frames[consumed].start + frames[consumed].samples.length <= until) consumed++;
      frames.splice(0, consumed);
    }
    this.releasedUntil = until;
    this.counters.releasedSamples += mixed.length;
    return { startSample: from, samples: mixed };
  }
}

function insertionIndex(frames: HeldFrame[], start: number): number {
  let index = frames.length;
  while (index > 0 && frames[index - 1].start > start) index--;
  return index;
}

/** Adds the part of `frame` that falls inside `target` (which begins at timeline sample `targetStart`), saturating. */
function mixInto(target: Int16Array, targetStart: number, frame: HeldFrame): void {
  const from = Math.max(frame.start, targetStart);
  const to = Math.min(frame.start + frame.samples.length, targetStart + target.length);
  for (let t = from; t < to; t++) {
    const sum = target[t - targetStart] + frame.samples[t - frame.start];
    target[t - targetStart] = sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
  }
}
