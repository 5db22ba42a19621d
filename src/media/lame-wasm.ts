import { readFileSync } from "node:fs";
import { createEncoder, WasmMediaEncoder } from "wasm-media-encoders";
import { LameStream, STAGED_SAMPLES } from "./lame-stream";

// The project's lib settings (ES2023, no DOM) do not declare the WebAssembly global Node provides.
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<CompiledWasm> };
type CompiledWasm = Exclude<Parameters<typeof createEncoder>[1], string | ArrayBuffer | Uint8Array>;

type Mp3Params = Parameters<WasmMediaEncoder<"audio/mpeg">["configure"]>[0];

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
 * LAME 3.100 compiled to WebAssembly (wasm-media-encoders): runs anywhere, at LAME's default quality (-q 3,
 * which the package does not let us change). It takes Float32 samples in [-1, 1].
 */
export class WasmLameStream implements LameStream {
  readonly staged = new Float32Array(STAGED_SAMPLES);

  private constructor(private readonly lame: WasmMediaEncoder<"audio/mpeg">) {}

  static async create(sampleRateHz: NonNullable<Mp3Params["outputSampleRate"]>, bitrateKbps: NonNullable<Mp3Params["bitrate"]>): Promise<WasmLameStream> {
    // The most recently idle instance: the least likely to be dropped as stale next.
    const lame = idleInstances.pop()?.lame ?? (await createEncoder("audio/mpeg", await loadMp3Module()));
    lame.configure({ channels: 1, sampleRate: sampleRateHz, bitrate: bitrateKbps, outputSampleRate: sampleRateHz });
    return new WasmLameStream(lame);
  }

  encodeStaged(count: number): Uint8Array {
    // The result views WebAssembly memory that the next call reuses, hence the copy.
    return this.lame.encode([this.staged.subarray(0, count)]).slice();
  }

  finish(): Uint8Array {
    const tail = this.lame.finalize().slice();
    keepIdle(this.lame);
    return tail;
  }
}
