/**
 * Media-plane benchmark. Build and run (from the repository root):
 *   npx tsc -p bench/tsconfig.json && node dist/bench/encode-throughput.js [audioMinutes=10] [trialSeconds=20]
 * (a) MP3 encoding speed of our two LAME builds (the native addon at -q 7, WebAssembly at LAME's default -q 3)
 *     against the `lame` CLI on the same PCM;
 * (b) how many concurrent real-time calls one process can ingest (see ingest-capacity.ts).
 */
import os from "node:os";
import { SAMPLE_RATE_HZ } from "../src/media/media-frame";
import { nativeLame } from "../src/media/lame-native";
import { Mp3Encoder, Mp3EncoderKind } from "../src/media/mp3-encoder";
import { measureIngestCapacity } from "./ingest-capacity";
import { encodeWithLameCli, lameVersion } from "./lame-cli";
import { speechLikePcm } from "./synthetic-audio";

async function timeEncode(kind: Mp3EncoderKind, pcm: Int16Array, chunkSamples: number): Promise<number> {
  const encoder = await Mp3Encoder.create(kind);
  const started = process.hrtime.bigint();
  for (let offset = 0; offset < pcm.length; offset += chunkSamples) encoder.encode(pcm.subarray(offset, offset + chunkSamples));
  encoder.finalize();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function bestOf(runs: number, measure: () => Promise<number>): Promise<number> {
  let best = Infinity;
  for (let run = 0; run < runs; run++) best = Math.min(best, await measure());
  return best;
}

async function compareEncoders(audioMinutes: number): Promise<void> {
  const audioSeconds = audioMinutes * 60;
  const pcm = speechLikePcm(audioSeconds);
  console.log(`(a) MP3 encode, ${audioMinutes} min of 8 kHz speech-like PCM → 32 kbps CBR mono, best of 3`);
  const wasmFrames = await bestOf(3, () => timeEncode("wasm", pcm, 160));
  const wasmBlocks = await bestOf(3, () => timeEncode("wasm", pcm, 8192));
  const line = (label: string, seconds: number) =>
    console.log(`  ${label.padEnd(38)} ${seconds.toFixed(3).padStart(7)} s  ${(audioSeconds / seconds).toFixed(0).padStart(6)}× real time`);
  line("wasm-media-encoders, 20 ms chunks", wasmFrames);
  line("wasm-media-encoders, 8192-sample chunks", wasmBlocks);
  if (nativeLame()) {
    const nativeFrames = await bestOf(3, () => timeEncode("native", pcm, 160));
    line(`native addon, LAME ${nativeLame()?.version()} -q 7, 20 ms`, nativeFrames);
    console.log(`  native addon / wasm speed ratio: ${(wasmFrames / nativeFrames).toFixed(2)}`);
  } else {
    console.log("  native addon: not built (apt-get install -y libmp3lame-dev, then npm rebuild callvault-lame-native), skipped");
  }
  const version = lameVersion();
  if (!version) {
    console.log("  native lame CLI: not installed (apt-get install -y lame), skipped");
    return;
  }
  const lame = await bestOf(3, async () => (await encodeWithLameCli(pcm)).seconds);
  line(`native ${version.replace(/ \(.*/, "")}`, lame);
  console.log(`  native / wasm speed ratio: ${(wasmFrames / lame).toFixed(2)} (20 ms chunks), ${(wasmBlocks / lame).toFixed(2)} (8192-sample chunks)`);
  console.log(`  (${(pcm.length / SAMPLE_RATE_HZ).toFixed(0)} s of audio; lame timing includes process start and file I/O)`);
}

async function main(): Promise<void> {
  const audioMinutes = Number(process.argv[2] ?? 10);
  const trialSeconds = Number(process.argv[3] ?? 20);
  console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}`);
  // Other processes on the machine skew every figure below; the load average shows how much.
  console.log(`load average at start: ${os.loadavg().map((load) => load.toFixed(2)).join(" ")}\n`);
  await compareEncoders(audioMinutes);
  await measureIngestCapacity(trialSeconds);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
