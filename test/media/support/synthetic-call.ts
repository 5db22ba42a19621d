import { sineTone } from "../../../src/media/analysis/tone";
import { MediaFrame, SAMPLE_RATE_HZ, SAMPLES_PER_MS, Track } from "../../../src/media/media-frame";
import { encodeMulaw, MULAW_SILENCE } from "../../../src/media/mulaw";

export const FRAME_MS = 20;
export const FRAME_SAMPLES = FRAME_MS * SAMPLES_PER_MS;

export interface ToneSpan {
  fromMs: number;
  toMs: number;
  frequencyHz: number;
  amplitude: number;
}

/** Twilio-like 20 ms frames for one track from 0 to `durationMs`: the tones where given, μ-law silence elsewhere. */
export function trackFrames(track: Track, durationMs: number, tones: readonly ToneSpan[]): MediaFrame[] {
  const frames: MediaFrame[] = [];
  for (let timestampMs = 0, chunk = 1; timestampMs < durationMs; timestampMs += FRAME_MS, chunk++) {
    const startSample = timestampMs * SAMPLES_PER_MS;
    const tone = tones.find((span) => timestampMs >= span.fromMs && timestampMs < span.toMs);
    const mulaw = tone
      ? encodeMulaw(sineTone({ ...tone, sampleRateHz: SAMPLE_RATE_HZ, samples: FRAME_SAMPLES, startSample }))
      : new Uint8Array(FRAME_SAMPLES).fill(MULAW_SILENCE);
    frames.push({ track, timestampMs, chunk, mulaw });
  }
  return frames;
}

/** Both tracks in arrival order: frame by frame, inbound before outbound. */
export function interleave(inbound: readonly MediaFrame[], outbound: readonly MediaFrame[]): MediaFrame[] {
  return [...inbound, ...outbound].sort((a, b) => a.timestampMs - b.timestampMs || (a.track === "inbound" ? -1 : 1));
}

/** A frame whose every sample decodes to the same linear value (nearest μ-law code). */
export function constantFrame(track: Track, timestampMs: number, mulawByte: number, samples = FRAME_SAMPLES): MediaFrame {
  return { track, timestampMs, mulaw: new Uint8Array(samples).fill(mulawByte) };
}
