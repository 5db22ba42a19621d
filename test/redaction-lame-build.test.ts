/**
 * A redaction re-encodes the whole recording: it must do so with the LAME build live calls use (MP3_ENCODER),
 * so a redacted file is encoded like every other one.
 */
import { sineTone } from "../src/media/analysis/tone";
import { nativeLame } from "../src/media/lame-native";
import { Mp3Encoder, Mp3EncoderKind, useMp3Encoder } from "../src/media/mp3-encoder";
import { Mp3Redactor } from "../src/redaction/mp3-redactor";
import { decodeMp3 } from "./media/support/decode-mp3";
import { DECODED_DELAY_SAMPLES } from "./media/support/mp3-timing";
import { fullTonePower, tonePower } from "./media/support/tone-measure";

const SAMPLES = 8000 * 2;
const SPAN = { fromSample: 4000, toSample: 10_000 };

async function toneMp3(): Promise<Uint8Array> {
  const encoder = await Mp3Encoder.create("wasm");
  const tone = sineTone({ frequencyHz: 440, sampleRateHz: 8000, samples: SAMPLES, amplitude: 10_000 });
  return Buffer.concat([encoder.encode(tone), encoder.finalize().tail]);
}

describe("a redaction's LAME build", () => {
  afterAll(() => useMp3Encoder("auto"));

  (nativeLame() ? it : it.skip)("is the one MP3_ENCODER chose: the two builds re-encode the same file differently, both cleanly", async () => {
    const source = await toneMp3();
    const redactor = new Mp3Redactor();
    const redacted = new Map<Mp3EncoderKind, Uint8Array>();
    for (const kind of ["native", "wasm"] as const) {
      useMp3Encoder(kind);
      const result = await redactor.silence(source, SAMPLES, SPAN);
      expect(result.samples).toBe(SAMPLES);
      redacted.set(kind, result.mp3);
    }
    expect(Buffer.from(redacted.get("native")!).equals(Buffer.from(redacted.get("wasm")!))).toBe(false);
    for (const mp3 of redacted.values()) {
      const decoded = await decodeMp3(mp3);
      expect(decoded.errors).toEqual([]);
      const power = (fromMs: number, toMs: number) => tonePower(decoded.pcm, fromMs, toMs, 440, DECODED_DELAY_SAMPLES);
      expect(power(100, 450)).toBeGreaterThan(0.5 * fullTonePower(10_000));
      expect(power(600, 1150)).toBeLessThan(1e-4 * fullTonePower(10_000));
      expect(power(1400, 1900)).toBeGreaterThan(0.5 * fullTonePower(10_000));
    }
  });
});
