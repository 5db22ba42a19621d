// Decodes an MP3 read from stdin with mpg123 (WebAssembly) and prints JSON to stdout.
// A separate process because mpg123-decoder is ESM-only and jest runs the tests as CommonJS.
import { MPEGDecoder } from "mpg123-decoder";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const mp3 = new Uint8Array(Buffer.concat(chunks));

const decoder = new MPEGDecoder();
await decoder.ready;
const { channelData, samplesDecoded, sampleRate, errors } = decoder.decode(mp3);
decoder.free();

const mono = channelData[0] ?? new Float32Array(0);
const pcm = new Int16Array(mono.length);
for (let i = 0; i < mono.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(mono[i] * 32768)));

process.stdout.write(
  JSON.stringify({
    sampleRate,
    samplesDecoded,
    channels: channelData.length,
    errors: errors.map((error) => error.message),
    pcmBase64: Buffer.from(pcm.buffer).toString("base64"),
  }),
);
