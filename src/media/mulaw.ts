/**
 * G.711 μ-law codec (ITU-T G.711, the 8 kHz telephony companding used by Twilio Media Streams).
 * Decoding is a 256-entry table lookup because it runs for every sample of every live call.
 */

const BIAS = 0x84;
const CLIP = 32635;

function decodeMulawByte(byte: number): number {
  const inverted = ~byte & 0xff;
  const sign = inverted & 0x80;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return sign ? -magnitude : magnitude;
}

export const MULAW_DECODE_TABLE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let byte = 0; byte < 256; byte++) table[byte] = decodeMulawByte(byte);
  return table;
})();

/** Decodes μ-law bytes to 16-bit linear PCM; writes into `target` when given (must be at least as long). */
export function decodeMulaw(encoded: Uint8Array, target: Int16Array = new Int16Array(encoded.length)): Int16Array {
  for (let i = 0; i < encoded.length; i++) target[i] = MULAW_DECODE_TABLE[encoded[i]];
  return target;
}

/** Encodes one 16-bit linear sample to a μ-law byte. */
export function encodeMulawSample(sample: number): number {
  let value = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = value < 0 ? 0x80 : 0x00;
  if (value < 0) value = -value;
  if (value > CLIP) value = CLIP;
  value += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (value & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (value >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function encodeMulaw(pcm: Int16Array): Uint8Array {
  const encoded = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) encoded[i] = encodeMulawSample(pcm[i]);
  return encoded;
}

/** The μ-law byte for digital silence (linear 0). */
export const MULAW_SILENCE = 0xff;
