import { createHash, Hash } from "node:crypto";
import { concatBytes } from "./bytes";
import { nativeLame, NativeLameStream } from "./lame-native";
import { LameStream } from "./lame-stream";
import { WasmLameStream } from "./lame-wasm";
import { SAMPLE_RATE_HZ, samplesToMs } from "./media-frame";

export const MP3_BITRATE_KBPS = 32;
/** MPEG-2.5 Layer III (8 kHz) frames hold 576 samples; at 32 kbps CBR every frame is 288 bytes, never padded. */
export const MP3_SAMPLES_PER_FRAME = 576;
export const MP3_FRAME_BYTES = 288;

export interface Mp3Summary {
  byteLength: number;
  sha256Hex: string;
  /** PCM samples fed in; the recording's exact length (the MP3 adds encoder delay and frame padding). */
  pcmSamples: number;
  durationMs: number;
  /** A player's duration is mp3Frames × 576 samples: LAME adds ~1.9 frames of delay and pads the end. */
  mp3Frames: number;
}

/** Which build of LAME encodes: `native` (the system's libmp3lame, when its addon was built) or `wasm`. */
export type Mp3EncoderKind = "native" | "wasm";
/** MP3_ENCODER: `auto` takes the native build when it was built, WebAssembly otherwise. */
export type Mp3EncoderSetting = Mp3EncoderKind | "auto";

let threadDefault: Mp3EncoderKind | undefined;

/**
 * Chooses this thread's LAME build (MP3_ENCODER). The composition root and each media worker call it at start;
 * asking for `native` where the addon was not built fails there, with what to install.
 */
export function useMp3Encoder(setting: Mp3EncoderSetting): Mp3EncoderKind {
  if (setting === "native") requireNativeLame();
  threadDefault = setting === "auto" ? (nativeLame() ? "native" : "wasm") : setting;
  return threadDefault;
}

function requireNativeLame(): NonNullable<ReturnType<typeof nativeLame>> {
  const native = nativeLame();
  if (!native) {
    throw new Error("MP3_ENCODER=native, but the native LAME addon is not built: apt-get install libmp3lame-dev, then npm rebuild callvault-lame-native (or set MP3_ENCODER=auto)");
  }
  return native;
}

export function mp3EncoderKind(): Mp3EncoderKind {
  return threadDefault ?? useMp3Encoder("auto");
}

/**
 * Mono 8 kHz PCM → 32 kbps CBR MP3, incrementally, with a running SHA-256 of the bytes produced. Samples are
 * staged in the LAME build's own format: Int16 for the native one, Float32 in [-1, 1] for WebAssembly.
 */
export class Mp3Encoder {
  private readonly hash: Hash = createHash("sha256");
  private byteLength = 0;
  private pcmSamples = 0;
  private summary: Mp3Summary | undefined;
  private stagedSamples = 0;

  private constructor(
    private readonly lame: LameStream,
    readonly kind: Mp3EncoderKind,
  ) {}

  static async create(kind: Mp3EncoderKind = mp3EncoderKind()): Promise<Mp3Encoder> {
    const native = kind === "native" ? requireNativeLame() : null;
    const lame = native ? NativeLameStream.create(native, SAMPLE_RATE_HZ, MP3_BITRATE_KBPS) : await WasmLameStream.create(SAMPLE_RATE_HZ, MP3_BITRATE_KBPS);
    return new Mp3Encoder(lame, kind);
  }

  /** Returns the MP3 bytes completed by this chunk (often empty: samples are staged, and LAME buffers about a frame). */
  encode(pcm: Int16Array | Float32Array): Uint8Array {
    if (this.summary) throw new Error("Mp3Encoder.encode called after finalize");
    const pieces: Uint8Array[] = [];
    const staged = this.lame.staged;
    for (let offset = 0; offset < pcm.length; ) {
      const take = Math.min(pcm.length - offset, staged.length - this.stagedSamples);
      stage(pcm, offset, take, staged, this.stagedSamples);
      this.stagedSamples += take;
      offset += take;
      if (this.stagedSamples === staged.length) pieces.push(this.encodeStaged());
    }
    this.pcmSamples += pcm.length;
    return this.account(pieces.length === 0 ? EMPTY : concatBytes(pieces));
  }

  /** Flushes LAME; returns the last bytes and the summary of the whole MP3. */
  finalize(): { tail: Uint8Array; summary: Mp3Summary } {
    if (this.summary) return { tail: new Uint8Array(0), summary: this.summary };
    const staged = this.stagedSamples > 0 ? this.encodeStaged() : EMPTY;
    const tail = this.account(concatBytes([staged, this.lame.finish()]));
    this.summary = {
      byteLength: this.byteLength,
      sha256Hex: this.hash.digest("hex"),
      pcmSamples: this.pcmSamples,
      durationMs: samplesToMs(this.pcmSamples),
      mp3Frames: this.byteLength / MP3_FRAME_BYTES,
    };
    return { tail, summary: this.summary };
  }

  private encodeStaged(): Uint8Array {
    const count = this.stagedSamples;
    this.stagedSamples = 0;
    return this.lame.encodeStaged(count);
  }

  private account(bytes: Uint8Array): Uint8Array {
    if (bytes.length === 0) return bytes;
    this.hash.update(bytes);
    this.byteLength += bytes.length;
    return bytes;
  }
}

/** Copies `count` samples into the staging buffer, converting between Int16 and Float32 in [-1, 1] as needed. */
function stage(pcm: Int16Array | Float32Array, from: number, count: number, staged: Int16Array | Float32Array, at: number): void {
  const source = pcm.subarray(from, from + count);
  if (source instanceof Int16Array === staged instanceof Int16Array) {
    staged.set(source, at);
  } else if (staged instanceof Float32Array) {
    // 1/32768 is a power of two: the same Float32 values as dividing.
    for (let i = 0; i < count; i++) staged[at + i] = source[i] * (1 / 32768);
  } else {
    for (let i = 0; i < count; i++) staged[at + i] = Math.max(-32768, Math.min(32767, Math.round(source[i] * 32768)));
  }
}

const EMPTY = new Uint8Array(0);
