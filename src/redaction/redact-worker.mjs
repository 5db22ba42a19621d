// Silences a span of one of our MP3s: decode → drop the decoder delay → zero the span → re-encode.
// Runs in a worker thread so a long call's CPU work never blocks the server's event loop, and is plain
// ESM because mpg123-decoder is ESM-only (the app, and jest, run CommonJS).
// Contract: src/redaction/mp3-redactor.ts (RedactJob in workerData, RedactResult posted back).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import { MPEGDecoder } from "mpg123-decoder";
import { createEncoder } from "wasm-media-encoders";

const require = createRequire(import.meta.url);

// ~16 s of MP3 at 32 kbps per decode call: bounds the decoded PCM held at once, whatever the call's length.
const INPUT_CHUNK_BYTES = 64 * 1024;
// As in Mp3Encoder: the wrapper's buffer grows to the largest chunk it is given and never shrinks.
const MAX_SAMPLES_PER_ENCODE = 8192;

/**
 * A mono CBR LAME of the build live calls use: `encode` takes Float32 samples in [-1, 1].
 * @param {import("./mp3-redactor").RedactJob["encoder"]} settings
 */
async function openLame(settings) {
  if (settings.build === "native") {
    const native = require("callvault-lame-native");
    const handle = native.create(settings.sampleRate, settings.bitrateKbps, settings.nativeQuality);
    return {
      encode: (pcm) => native.encode(handle, Int16Array.from(pcm, (sample) => Math.max(-32768, Math.min(32767, Math.round(sample * 32768))))),
      finish: () => native.flush(handle),
    };
  }
  const wasm = await createEncoder("audio/mpeg", readFileSync(require.resolve("wasm-media-encoders/wasm/mp3")));
  wasm.configure({ channels: 1, sampleRate: settings.sampleRate, bitrate: settings.bitrateKbps, outputSampleRate: settings.sampleRate });
  return { encode: (pcm) => wasm.encode([pcm]), finish: () => wasm.finalize() };
}

/** @param {import("./mp3-redactor").RedactJob} job */
async function redact(job) {
  const { mp3, totalSamples, delaySamples, fromSample, toSample, encoder: settings } = job;
  const decoder = new MPEGDecoder();
  await decoder.ready;
  // The same LAME build and settings as Mp3Encoder (settings come from its constants and MP3_ENCODER), so the
  // result is an MP3 like every other one we store: same format, same encoder delay.
  const lame = await openLame(settings);

  const out = [];
  let outBytes = 0;
  const emit = (bytes) => {
    // The WebAssembly encoder's result views memory that its next call reuses.
    const copy = bytes.slice();
    out.push(copy);
    outBytes += copy.length;
  };
  const encode = (pcm) => {
    for (let offset = 0; offset < pcm.length; offset += MAX_SAMPLES_PER_ENCODE) emit(lame.encode(pcm.subarray(offset, offset + MAX_SAMPLES_PER_ENCODE)));
  };

  // Recording-timeline position of the next decoded sample: negative while still inside the delay.
  let position = -delaySamples;
  let written = 0;
  let decodedSamples = 0;
  try {
    for (let offset = 0; offset < mp3.length && written < totalSamples; offset += INPUT_CHUNK_BYTES) {
      const decoded = decoder.decode(mp3.subarray(offset, offset + INPUT_CHUNK_BYTES));
      if (decoded.errors.length > 0) throw new Error(`the stored MP3 does not decode cleanly: ${decoded.errors[0].message}`);
      if (decoded.samplesDecoded === 0) continue;
      if (decoded.sampleRate !== settings.sampleRate) throw new Error(`the stored MP3 is ${decoded.sampleRate} Hz, expected ${settings.sampleRate} Hz`);
      const mono = decoded.channelData[0];
      decodedSamples += mono.length;
      // Only [0, totalSamples) of the timeline is the recording: before it is delay, after it frame padding.
      const first = Math.max(0, -position);
      const last = Math.min(mono.length, totalSamples - position);
      if (last > first) {
        const pcm = mono.slice(first, last);
        const start = position + first;
        const silenceFrom = Math.max(fromSample, start) - start;
        const silenceTo = Math.min(toSample, start + pcm.length) - start;
        if (silenceTo > silenceFrom) pcm.fill(0, silenceFrom, silenceTo);
        // Decoding can overshoot full scale slightly; the encoder expects [-1, 1].
        for (let i = 0; i < pcm.length; i++) pcm[i] = Math.max(-1, Math.min(1, pcm[i]));
        encode(pcm);
        written += pcm.length;
      }
      position += mono.length;
    }
    // Never longer or shorter than the recording: a decode that falls short is padded with silence,
    // but a decode missing more than one MP3 frame means the stored audio is not what we think it is.
    const missing = totalSamples - written;
    if (missing > settings.samplesPerFrame) throw new Error(`the stored MP3 decoded to ${written} of ${totalSamples} samples`);
    if (missing > 0) {
      encode(new Float32Array(missing));
      written += missing;
    }
    emit(lame.finish());
  } finally {
    decoder.free();
  }

  const result = new Uint8Array(outBytes);
  let at = 0;
  for (const piece of out) {
    result.set(piece, at);
    at += piece.length;
  }
  return { mp3: result, decodedSamples, samples: written };
}

try {
  const result = await redact(workerData);
  parentPort.postMessage({ ok: true, ...result }, [result.mp3.buffer]);
} catch (error) {
  parentPort.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
}
