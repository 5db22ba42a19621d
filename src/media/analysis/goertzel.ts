/**
 * Goertzel algorithm: the power of one frequency in a block of samples, far cheaper than an FFT when
 * only a few frequencies matter (tone checks, DTMF). Normalised by block length, so a sine of
 * amplitude A at `frequencyHz` yields about A²/4 whatever the block length.
 */
export function goertzelPower(samples: ArrayLike<number>, sampleRateHz: number, frequencyHz: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coefficient = 2 * Math.cos((2 * Math.PI * frequencyHz) / sampleRateHz);
  let previous = 0;
  let beforePrevious = 0;
  for (let i = 0; i < n; i++) {
    const current = samples[i] + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }
  const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
  return power / (n * n);
}
