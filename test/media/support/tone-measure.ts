import { goertzelPower } from "../../../src/media/analysis/goertzel";
import { SAMPLE_RATE_HZ, SAMPLES_PER_MS } from "../../../src/media/media-frame";

/**
 * 400 samples (50 ms) hold whole periods of both test tones (22 × 440 Hz, 50 × 1 kHz), so on blocks of
 * that length the two Goertzel bins do not leak into each other.
 */
const BLOCK_SAMPLES = 400;

/** Goertzel power of `frequencyHz` over [fromMs, toMs) of `pcm`, shifted by `delaySamples`, in whole blocks. */
export function tonePower(pcm: Int16Array, fromMs: number, toMs: number, frequencyHz: number, delaySamples = 0): number {
  const from = Math.round(fromMs * SAMPLES_PER_MS) + delaySamples;
  const blocks = Math.floor(((toMs - fromMs) * SAMPLES_PER_MS) / BLOCK_SAMPLES);
  if (blocks < 1 || from < 0 || from + blocks * BLOCK_SAMPLES > pcm.length) {
    throw new RangeError(`Window ${fromMs}-${toMs} ms does not fit ${pcm.length} samples`);
  }
  let total = 0;
  for (let block = 0; block < blocks; block++) {
    const start = from + block * BLOCK_SAMPLES;
    total += goertzelPower(pcm.subarray(start, start + BLOCK_SAMPLES), SAMPLE_RATE_HZ, frequencyHz);
  }
  return total / blocks;
}

/** Goertzel power a clean sine of `amplitude` produces: A²/4. */
export function fullTonePower(amplitude: number): number {
  return (amplitude * amplitude) / 4;
}
