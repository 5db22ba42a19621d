import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { SAMPLE_RATE_HZ } from "../media/media-frame";
import { NATIVE_LAME_QUALITY } from "../media/lame-native";
import { MP3_BITRATE_KBPS, MP3_SAMPLES_PER_FRAME, Mp3EncoderKind, mp3EncoderKind } from "../media/mp3-encoder";

/**
 * Samples of leading delay when mpg123 decodes one of our MP3s: LAME's encoder delay (576) plus
 * mpg123's decoder delay (529). Our MP3s carry no LAME/Info tag, so the decoder cannot trim it itself.
 */
export const DECODED_DELAY_SAMPLES = 1105;

/** What the worker is given (workerData); mirrored by src/redaction/redact-worker.mjs. */
export interface RedactJob {
  mp3: Uint8Array;
  /** The recording's true length: the output has exactly this many samples, whatever the frame padding. */
  totalSamples: number;
  delaySamples: number;
  /** Silenced: [fromSample, toSample) on the recording's timeline. */
  fromSample: number;
  toSample: number;
  /** The LAME build and quality of live calls (MP3_ENCODER), so a redacted file is encoded as every other one. */
  encoder: { sampleRate: number; bitrateKbps: number; samplesPerFrame: number; build: Mp3EncoderKind; nativeQuality: number };
}

export interface RedactResult {
  mp3: Uint8Array;
  /** Samples mpg123 produced, delay and padding included. */
  decodedSamples: number;
  /** Samples encoded: always the job's totalSamples. */
  samples: number;
}

type WorkerAnswer = ({ ok: true } & RedactResult) | { ok: false; message: string };

/**
 * The worker is plain ESM (mpg123-decoder is ESM-only) and sits next to this file: in src/ for tests, and
 * in dist/src/ because `npm run build` copies src/**\/*.mjs there (tsc does not).
 */
export const REDACT_WORKER_SCRIPT = path.join(__dirname, "redact-worker.mjs");

/** Each job holds about two copies of the MP3 plus a few seconds of PCM; a few at once are plenty. */
const DEFAULT_MAX_CONCURRENT = 2;

export class Mp3RedactionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Mp3RedactionError";
  }
}

/**
 * Silences a span of one of our MP3s off the event loop: each job runs decode → silence → re-encode in its
 * own worker thread, which exits when done, so no decoder or encoder state outlives a job.
 */
export class Mp3Redactor {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly script = REDACT_WORKER_SCRIPT,
    private readonly maxConcurrent = DEFAULT_MAX_CONCURRENT,
  ) {
    // Fail at startup, not at the first redaction, when a build forgot to ship the worker.
    if (!fs.existsSync(script)) throw new Error(`redaction worker script ${script} is missing (npm run build copies it)`);
  }

  async silence(mp3: Uint8Array, totalSamples: number, span: { fromSample: number; toSample: number }): Promise<RedactResult> {
    const job: RedactJob = {
      mp3,
      totalSamples,
      delaySamples: DECODED_DELAY_SAMPLES,
      fromSample: span.fromSample,
      toSample: span.toSample,
      encoder: {
        sampleRate: SAMPLE_RATE_HZ,
        bitrateKbps: MP3_BITRATE_KBPS,
        samplesPerFrame: MP3_SAMPLES_PER_FRAME,
        build: mp3EncoderKind(),
        nativeQuality: NATIVE_LAME_QUALITY,
      },
    };
    await this.acquire();
    try {
      return await this.run(job);
    } finally {
      this.release();
    }
  }

  // The MP3 is copied into the worker rather than transferred: a Buffer may view a shared pool.
  private run(job: RedactJob): Promise<RedactResult> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.script, { workerData: job });
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
        void worker.terminate();
      };
      worker.once("message", (answer: WorkerAnswer) =>
        settle(() => (answer.ok ? resolve({ mp3: answer.mp3, decodedSamples: answer.decodedSamples, samples: answer.samples }) : reject(new Mp3RedactionError(answer.message)))),
      );
      worker.once("error", (error) => settle(() => reject(error)));
      worker.once("exit", (code) => settle(() => reject(new Mp3RedactionError(`redaction worker exited with code ${code} before answering`))));
    });
  }

  private async acquire(): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running++;
      return;
    }
    // The slot is handed over by release(), so running is not incremented here.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
