import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface LameRun {
  seconds: number;
  mp3Bytes: number;
}

/** Null when the `lame` binary is not installed (`apt-get install -y lame`). */
export function lameVersion(): string | null {
  const result = spawnSync("lame", ["--version"], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.split("\n")[0] : null;
}

/**
 * Encodes raw PCM with the native LAME CLI using the same settings as our encoder: 8 kHz signed
 * 16-bit little-endian mono in, 32 kbps CBR out, default quality (-q 3, also libmp3lame's default),
 * no LAME tag (-t; our streaming encoder cannot write one either).
 */
export async function encodeWithLameCli(pcm: Int16Array): Promise<LameRun> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "callvault-lame-"));
  try {
    const input = path.join(directory, "in.raw");
    const output = path.join(directory, "out.mp3");
    await fs.writeFile(input, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
    const args = ["--silent", "-r", "-s", "8", "--bitwidth", "16", "--signed", "--little-endian", "-m", "m", "-b", "32", "--cbr", "-t", input, output];
    const started = process.hrtime.bigint();
    const result = spawnSync("lame", args, { encoding: "utf8" });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) throw new Error(`lame failed: ${result.stderr}`);
    return { seconds, mp3Bytes: (await fs.stat(output)).size };
  } finally {
    await fs.rm(directory, { recursive: true, force: true });
  }
}
