import { badInput } from "../common/errors";
import { SAMPLE_RATE_HZ } from "../media/media-frame";

/** A client may take the end from a player, whose duration also counts the MP3's ~0.2 s of delay and padding. */
export const END_TOLERANCE_SECONDS = 0.25;

export interface SampleSpan {
  fromSample: number;
  toSample: number;
}

// seconds × 8000 in floating point can land a hair off a whole sample (1.1 × 8000 = 8800.000000000001).
const toSampleCount = (seconds: number) => Math.round(seconds * SAMPLE_RATE_HZ * 1e6) / 1e6;

/**
 * [fromSeconds, toSeconds) as samples of a recording `totalSamples` long. Rounded outwards, so at least
 * what was asked is silenced; an end a little past the recording (see END_TOLERANCE_SECONDS) is clamped.
 */
export function sampleSpanOf(fromSeconds: number, toSeconds: number, totalSamples: number): SampleSpan {
  if (!Number.isFinite(fromSeconds) || fromSeconds < 0) throw badInput("fromSeconds must be 0 or more", "fromSeconds");
  if (!Number.isFinite(toSeconds) || toSeconds <= fromSeconds) throw badInput("toSeconds must be greater than fromSeconds", "toSeconds");
  const durationSeconds = totalSamples / SAMPLE_RATE_HZ;
  if (toSeconds > durationSeconds + END_TOLERANCE_SECONDS) {
    throw badInput(`toSeconds is past the end of the ${durationSeconds.toFixed(3)} s recording`, "toSeconds");
  }
  const fromSample = Math.floor(toSampleCount(fromSeconds));
  const toSample = Math.min(totalSamples, Math.ceil(toSampleCount(toSeconds)));
  if (fromSample >= toSample) throw badInput(`fromSeconds is past the end of the ${durationSeconds.toFixed(3)} s recording`, "fromSeconds");
  return { fromSample, toSample };
}

export const secondsOf = (samples: number) => samples / SAMPLE_RATE_HZ;
