/** Twilio Media Streams carry 8 kHz μ-law; all media-plane timelines count samples at this rate. */
export const SAMPLE_RATE_HZ = 8000;
export const SAMPLES_PER_MS = SAMPLE_RATE_HZ / 1000;

export type Track = "inbound" | "outbound";
export const TRACKS: readonly Track[] = ["inbound", "outbound"];

/** One decoded-from-the-wire media message: μ-law bytes of one track at a stream timestamp. */
export interface MediaFrame {
  track: Track;
  /** Milliseconds since the media stream started (Twilio's `media.timestamp`). */
  timestampMs: number;
  /** Twilio's per-track `media.chunk` counter; informational only, timing comes from `timestampMs`. */
  chunk?: number;
  mulaw: Uint8Array;
}

/** Contiguous 16-bit mono PCM; `startSample` places it on the timeline of the stage that produced it. */
export interface PcmChunk {
  startSample: number;
  samples: Int16Array;
}

export function msToSamples(ms: number): number {
  return Math.round(ms * SAMPLES_PER_MS);
}

export function samplesToMs(samples: number): number {
  return samples / SAMPLES_PER_MS;
}
