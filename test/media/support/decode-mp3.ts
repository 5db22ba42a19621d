import { spawn } from "node:child_process";
import path from "node:path";

export interface DecodedMp3 {
  sampleRate: number;
  samplesDecoded: number;
  channels: number;
  errors: string[];
  /** First channel as 16-bit PCM. */
  pcm: Int16Array;
}

// Not named mp3-decode.ts next to the script: jest resolves an extensionless import to the .mjs first.
const SCRIPT = path.join(__dirname, "..", "..", "support", "mp3-decode.mjs");

/** Decodes with mpg123 in a child process (see test/support/mp3-decode.mjs for why). */
export function decodeMp3(mp3: Uint8Array): Promise<DecodedMp3> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`mp3-decode.mjs exited with ${code}: ${Buffer.concat(stderr).toString()}`));
      const { pcmBase64, ...rest } = JSON.parse(Buffer.concat(stdout).toString()) as Omit<DecodedMp3, "pcm"> & { pcmBase64: string };
      const bytes = Buffer.from(pcmBase64, "base64");
      const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      resolve({ ...rest, pcm });
    });
    child.stdin.end(Buffer.from(mp3.buffer, mp3.byteOffset, mp3.byteLength));
  });
}
