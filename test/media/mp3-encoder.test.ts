import { createHash } from "node:crypto";
import { sineTone } from "../../src/media/analysis/tone";
import { existsSync } from "node:fs";
import { nativeLame } from "../../src/media/lame-native";
import { Mp3Encoder, Mp3EncoderKind, mp3EncoderKind, MP3_FRAME_BYTES, MP3_SAMPLES_PER_FRAME, useMp3Encoder } from "../../src/media/mp3-encoder";
import { decodeMp3 } from "./support/decode-mp3";
import { DECODED_DELAY_SAMPLES } from "./support/mp3-timing";
import { fullTonePower, tonePower } from "./support/tone-measure";

async function encodeWith(kind: Mp3EncoderKind, pcm: Int16Array | Float32Array, chunkSamples: number) {
  const encoder = await Mp3Encoder.create(kind);
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < pcm.length; offset += chunkSamples) pieces.push(encoder.encode(pcm.subarray(offset, offset + chunkSamples)));
  const { tail, summary } = encoder.finalize();
  pieces.push(tail);
  return { mp3: Buffer.concat(pieces), summary };
}

/** Where LAME's headers are installed the addon is built at install (npm ci), so there the native build is tested. */
const KINDS: Mp3EncoderKind[] = nativeLame() ? ["native", "wasm"] : ["wasm"];

describe("choosing the LAME build", () => {
  // Skipped, and reported so, where LAME's headers are not installed (the addon cannot be built there).
  (existsSync("/usr/include/lame/lame.h") ? it : it.skip)("builds the native addon wherever libmp3lame-dev is installed (CI installs it), and picks it by default", () => {
    expect(nativeLame()?.version()).toMatch(/^3\.1/);
    expect(useMp3Encoder("auto")).toBe("native");
    expect(mp3EncoderKind()).toBe("native");
  });

  it("takes MP3_ENCODER=wasm, and encoders made after it use WebAssembly", async () => {
    try {
      expect(useMp3Encoder("wasm")).toBe("wasm");
      expect((await Mp3Encoder.create()).kind).toBe("wasm");
    } finally {
      useMp3Encoder("auto");
    }
  });
});

describe.each(KINDS)("Mp3Encoder, %s LAME", (kind) => {
  const encodeInChunks = (pcm: Int16Array | Float32Array, chunkSamples: number) => encodeWith(kind, pcm, chunkSamples);
  const tone = sineTone({ frequencyHz: 440, sampleRateHz: 8000, samples: 8000 * 3 + 123, amplitude: 10000 });

  it("produces 8 kHz, 32 kbps CBR MP3 that decodes back to the tone", async () => {
    const { mp3 } = await encodeInChunks(tone, 160);
    expect(mp3.length % MP3_FRAME_BYTES).toBe(0);
    expect(mp3.readUInt16BE(0) & 0xffe0).toBe(0xffe0); // MPEG frame sync at the very first byte
    const decoded = await decodeMp3(mp3);
    expect(decoded.errors).toEqual([]);
    expect(decoded.sampleRate).toBe(8000);
    expect(decoded.samplesDecoded).toBe((mp3.length / MP3_FRAME_BYTES) * MP3_SAMPLES_PER_FRAME);
    expect(tonePower(decoded.pcm, 100, 2900, 440, DECODED_DELAY_SAMPLES)).toBeGreaterThan(0.8 * fullTonePower(10000));
    expect(tonePower(decoded.pcm, 100, 2900, 1000, DECODED_DELAY_SAMPLES)).toBeLessThan(1e-4 * fullTonePower(10000));
  });

  it("frames the input as LAME does: whole frames plus two for delay and flush, as its summary says", async () => {
    for (const samples of [0, 1, 575, 576, 577, 8000, 8000 * 3 + 123]) {
      const { mp3, summary } = await encodeInChunks(tone.subarray(0, samples), 160);
      const decoded = await decodeMp3(mp3);
      expect(summary.mp3Frames).toBe(Math.ceil(samples / MP3_SAMPLES_PER_FRAME) + 2);
      expect(decoded.samplesDecoded).toBe(summary.mp3Frames * MP3_SAMPLES_PER_FRAME);
      // After the fixed delay the audio is followed by under one frame of padding (plus LAME's 47-sample remainder).
      const padding = decoded.samplesDecoded - DECODED_DELAY_SAMPLES - samples;
      expect(padding).toBeGreaterThanOrEqual(0);
      expect(padding).toBeLessThan(MP3_SAMPLES_PER_FRAME + 47);
    }
  });

  it("delays the audio by DECODED_DELAY_SAMPLES in decoded output", async () => {
    const onsetAt = 2000;
    const input = new Int16Array(8000);
    input.set(tone.subarray(0, 8000 - onsetAt), onsetAt);
    const decoded = await decodeMp3((await encodeInChunks(input, 160)).mp3);
    const firstAudible = decoded.pcm.findIndex((sample) => Math.abs(sample) > 1000);
    expect(Math.abs(firstAudible - (onsetAt + DECODED_DELAY_SAMPLES))).toBeLessThanOrEqual(16);
  });

  it("reports the exact input duration, byte count and SHA-256 of everything it produced", async () => {
    const { mp3, summary } = await encodeInChunks(tone, 333);
    expect(summary).toEqual({
      byteLength: mp3.length,
      sha256Hex: createHash("sha256").update(mp3).digest("hex"),
      pcmSamples: tone.length,
      durationMs: tone.length / 8,
      mp3Frames: mp3.length / MP3_FRAME_BYTES,
    });
  });

  it("gives the same bytes whatever the chunking, and for Int16 or Float32 input", async () => {
    const whole = await encodeInChunks(tone, tone.length);
    const small = await encodeInChunks(tone, 160);
    const float = await encodeInChunks(Float32Array.from(tone, (sample) => sample / 32768), 1000);
    expect(small.mp3.equals(whole.mp3)).toBe(true);
    expect(float.mp3.equals(whole.mp3)).toBe(true);
  });

  it("encodes a call exactly alike on a LAME instance reused from a finished call", async () => {
    const first = await encodeInChunks(tone, 160);
    // The noise of the first call must leave nothing behind in the instance the next call is given.
    const noisy = await Mp3Encoder.create(kind);
    noisy.encode(Int16Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 65536) - 32768));
    noisy.finalize();
    const reused = await encodeInChunks(tone, 160);
    expect(reused.mp3.equals(first.mp3)).toBe(true);
    expect(reused.summary).toEqual(first.summary);
  });

  it("keeps encoders independent (separate state)", async () => {
    const [a, b] = await Promise.all([Mp3Encoder.create(kind), Mp3Encoder.create(kind)]);
    const silence = new Int16Array(tone.length);
    const fromA = Buffer.concat([a.encode(tone), a.finalize().tail]);
    const fromB = Buffer.concat([b.encode(silence), b.finalize().tail]);
    expect(fromA.equals((await encodeInChunks(tone, 160)).mp3)).toBe(true);
    expect(fromB.equals(fromA)).toBe(false);
  });
});

describe("the two LAME builds", () => {
  const speech = sineTone({ frequencyHz: 440, sampleRateHz: 8000, samples: 8000 * 2, amplitude: 10000 });

  (KINDS.length === 2 ? it : it.skip)("frame the same input alike: same frame count, same delay, same tone", async () => {
    const [native, wasm] = await Promise.all([encodeWith("native", speech, 160), encodeWith("wasm", speech, 160)]);
    expect(native.summary.mp3Frames).toBe(wasm.summary.mp3Frames);
    expect(native.summary.byteLength).toBe(wasm.summary.byteLength);
    const [a, b] = await Promise.all([decodeMp3(native.mp3), decodeMp3(wasm.mp3)]);
    expect(a.samplesDecoded).toBe(b.samplesDecoded);
    const powerA = tonePower(a.pcm, 100, 1900, 440, DECODED_DELAY_SAMPLES);
    const powerB = tonePower(b.pcm, 100, 1900, 440, DECODED_DELAY_SAMPLES);
    expect(Math.abs(powerA - powerB)).toBeLessThan(0.05 * powerB);
  });
});
