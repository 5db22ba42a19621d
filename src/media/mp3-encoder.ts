import { createHash, Hash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createEncoder, WasmMediaEncoder } from "wasm-media-encoders";
import { concatBytes } from "./bytes";
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

/**
 * Samples are staged and handed to LAME this many at a time (two MP3 frames): each call into the WebAssembly
 * costs about as much as encoding a 20 ms frame, and live calls arrive 160 samples at a time. LAME's output
 * does not depend on the chunking. Staging also bounds the wrapper's PCM buffer, which grows to the largest
 * chunk ever passed (WebAssembly memory never shrinks).
 */
const STAGED_SAMPLES = 2 * 576;

// The project's lib settings (ES2023, no DOM) do not declare the WebAssembly global Node provides.
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<CompiledWasm> };
type CompiledWasm = Exclude<Parameters<typeof createEncoder>[1], string | ArrayBuffer | Uint8Array>;

let compiledModule: Promise<CompiledWasm> | undefined;

/**
 * LAME instances of finished calls, kept for the next calls of this thread: instantiating the WebAssembly
 * (its own memory, its C runtime) costs about as much again as configuring LAME for a call, and calls end
 * and start all day. Reconfiguring frees the old LAME context and starts a fresh one, so a reused instance
 * encodes exactly as a new one. Idle instances (about 1 MB each) are dropped after IDLE_INSTANCE_MS.
 */
const idleInstances: { lame: WasmMediaEncoder<"audio/mpeg">; since: number }[] = [];
const MAX_IDLE_INSTANCES = 512;
const IDLE_INSTANCE_MS = 30_000;
let idleSweep: NodeJS.Timeout | undefined;

function keepIdle(lame: WasmMediaEncoder<"audio/mpeg">): void {
  if (idleInstances.length >= MAX_IDLE_INSTANCES) return;
  idleInstances.push({ lame, since: Date.now() });
  idleSweep ??= setInterval(() => {
    // Oldest first: they were pushed in order.
    const stale = idleInstances.findIndex((idle) => Date.now() - idle.since < IDLE_INSTANCE_MS);
    idleInstances.splice(0, stale < 0 ? idleInstances.length : stale);
    if (idleInstances.length === 0) {
      clearInterval(idleSweep);
      idleSweep = undefined;
    }
  }, IDLE_INSTANCE_MS);
  idleSweep.unref();
}

/** Compiling the LAME WebAssembly takes milliseconds; each call's encoder reuses one compiled module. */
function loadMp3Module(): Promise<CompiledWasm> {
  compiledModule ??= WebAssembly.compile(readFileSync(require.resolve("wasm-media-encoders/wasm/mp3")));
  return compiledModule;
}

/**
 * Mono 8 kHz PCM → 32 kbps CBR MP3, incrementally, with a running SHA-256 of the bytes produced.
 * The library takes Float32 samples in [-1, 1]; Int16 input is scaled by 1/32768.
 */
export class Mp3Encoder {
  private readonly hash: Hash = createHash("sha256");
  private byteLength = 0;
  private pcmSamples = 0;
  private summary: Mp3Summary | undefined;
  /** Samples not yet handed to LAME, as the Float32 in [-1, 1] that it takes. */
  private readonly staged = new Float32Array(STAGED_SAMPLES);
  private stagedSamples = 0;

  private constructor(private readonly lame: WasmMediaEncoder<"audio/mpeg">) {}

  static async create(): Promise<Mp3Encoder> {
    // The most recently idle instance: the least likely to be dropped as stale next.
    const lame = idleInstances.pop()?.lame ?? (await createEncoder("audio/mpeg", await loadMp3Module()));
    lame.configure({ channels: 1, sampleRate: SAMPLE_RATE_HZ, bitrate: MP3_BITRATE_KBPS, outputSampleRate: SAMPLE_RATE_HZ });
    return new Mp3Encoder(lame);
  }

  /** Returns the MP3 bytes completed by this chunk (often empty: samples are staged, and LAME buffers about a frame). */
  encode(pcm: Int16Array | Float32Array): Uint8Array {
    if (this.summary) throw new Error("Mp3Encoder.encode called after finalize");
    const pieces: Uint8Array[] = [];
    // 1/32768 is a power of two: the same Float32 values as dividing.
    const scale = pcm instanceof Float32Array ? 1 : 1 / 32768;
    for (let offset = 0; offset < pcm.length; ) {
      const take = Math.min(pcm.length - offset, STAGED_SAMPLES - this.stagedSamples);
      for (let i = 0; i < take; i++) this.staged[this.stagedSamples + i] = pcm[offset + i] * scale;
      this.stagedSamples += take;
      offset += take;
      if (this.stagedSamples === STAGED_SAMPLES) pieces.push(this.encodeStaged());
    }
    this.pcmSamples += pcm.length;
    return this.account(pieces.length === 0 ? EMPTY : concatBytes(pieces));
  }

  /** Flushes LAME; returns the last bytes and the summary of the whole MP3. */
  finalize(): { tail: Uint8Array; summary: Mp3Summary } {
    if (this.summary) return { tail: new Uint8Array(0), summary: this.summary };
    const staged = this.stagedSamples > 0 ? this.encodeStaged() : EMPTY;
    const tail = this.account(concatBytes([staged, this.lame.finalize().slice()]));
    keepIdle(this.lame);
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
    const samples = this.staged.subarray(0, this.stagedSamples);
    this.stagedSamples = 0;
    // The result views WebAssembly memory that the next call reuses, hence the copy.
    return this.lame.encode([samples]).slice();
  }

  private account(bytes: Uint8Array): Uint8Array {
    if (bytes.length === 0) return bytes;
    this.hash.update(bytes);
    this.byteLength += bytes.length;
    return bytes;
  }
}

const EMPTY = new Uint8Array(0);
