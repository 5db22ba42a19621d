import { SAMPLE_RATE_HZ } from "../src/media/media-frame";

/**
 * Speech-like 8 kHz PCM: a harmonic voice whose pitch drifts and whose loudness follows a ~4 Hz
 * syllable rhythm, plus line noise. LAME's cost depends somewhat on content, so pure tones or
 * silence would flatter it.
 */
export function speechLikePcm(seconds: number, seed = 1): Int16Array {
  const pcm = new Int16Array(Math.round(seconds * SAMPLE_RATE_HZ));
  let state = seed >>> 0;
  const noise = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
  let phase = 0;
  for (let i = 0; i < pcm.length; i++) {
    const t = i / SAMPLE_RATE_HZ;
    const pitch = 140 + 40 * Math.sin(2 * Math.PI * 0.3 * t);
    phase += (2 * Math.PI * pitch) / SAMPLE_RATE_HZ;
    let voice = 0;
    for (let harmonic = 1; harmonic <= 12; harmonic++) voice += Math.sin(harmonic * phase) / harmonic;
    const syllables = Math.max(0, Math.sin(2 * Math.PI * 4 * t)) ** 2;
    pcm[i] = Math.round(6000 * syllables * voice + 300 * noise());
  }
  return pcm;
}

/** Alternating turns: the track talks during even (or odd) 3-second turns and is near-silent otherwise. */
export function conversationTrack(seconds: number, speaksFirst: boolean, seed: number): Int16Array {
  const pcm = speechLikePcm(seconds, seed);
  const turnSamples = 3 * SAMPLE_RATE_HZ;
  for (let i = 0; i < pcm.length; i++) {
    const turn = Math.floor(i / turnSamples);
    if ((turn % 2 === 0) !== speaksFirst) pcm[i] = Math.round(pcm[i] / 40);
  }
  return pcm;
}
