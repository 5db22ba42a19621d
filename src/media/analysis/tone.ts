/** A sine tone as 16-bit PCM; `startSample` keeps the phase continuous when a tone is built in pieces. */
export function sineTone(options: {
  frequencyHz: number;
  sampleRateHz: number;
  samples: number;
  amplitude: number;
  startSample?: number;
}): Int16Array {
  const { frequencyHz, sampleRateHz, samples, amplitude, startSample = 0 } = options;
  const tone = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    tone[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * (startSample + i)) / sampleRateHz));
  }
  return tone;
}
