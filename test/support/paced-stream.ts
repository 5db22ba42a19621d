import { sineTone } from "../../src/media/analysis/tone";
import { MediaFrame, SAMPLE_RATE_HZ, SAMPLES_PER_MS, Track } from "../../src/media/media-frame";
import { encodeMulaw, MULAW_SILENCE } from "../../src/media/mulaw";
import { FRAME_MS, FRAME_SAMPLES } from "../media/support/synthetic-call";
import { TwilioStreamClient } from "./twilio-stream-client";

/** What each track plays at a stream time (a frequency in Hz); a missing track is silent. */
export type Score = (stampMs: number) => Partial<Record<Track, number>>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The telephony gateway's side of one call against any server URL: Twilio frames stamped in stream time and
 * sent paced against the wall clock, `aheadMs` early (network jitter).
 */
export class PacedTwilioStream {
  sentUntilMs = 0;

  private constructor(
    readonly client: TwilioStreamClient,
    /** Wall-clock time of stream time 0 (just before `start` was sent). */
    readonly startedAt: number,
    public score: Score,
    private readonly amplitude: number,
    private readonly aheadMs: number,
  ) {}

  static async start(baseUrl: string, token: string, callId: string, score: Score, options: { amplitude?: number; aheadMs?: number } = {}): Promise<PacedTwilioStream> {
    const client = await TwilioStreamClient.connect(baseUrl, TwilioStreamClient.bearer(token));
    const startedAt = Date.now();
    client.start({ callId });
    return new PacedTwilioStream(client, startedAt, score, options.amplitude ?? 8000, options.aheadMs ?? 100);
  }

  get nowMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Plays in real time until the stream clock reads `untilMs`. */
  async playUntil(untilMs: number): Promise<void> {
    for (;;) {
      this.sendBefore(this.nowMs + this.aheadMs);
      if (this.nowMs >= untilMs) return;
      await sleep(10);
    }
  }

  /** Keeps playing while `work` (a mutation, a wait) is in flight: the call goes on meanwhile. */
  async playDuring<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const done = work.finally(() => (settled = true));
    while (!settled) {
      this.sendBefore(this.nowMs + this.aheadMs);
      await Promise.race([done.catch(() => undefined), sleep(10)]);
    }
    return done;
  }

  async stop(): Promise<void> {
    this.client.stop();
    const closed = await this.client.closed;
    if (closed.code !== 1000) throw new Error(`media stream closed with ${closed.code} ${closed.reason}`);
  }

  private sendBefore(stampMs: number): void {
    const frames: MediaFrame[] = [];
    for (; this.sentUntilMs + FRAME_MS <= stampMs; this.sentUntilMs += FRAME_MS) {
      const tones = this.score(this.sentUntilMs);
      frames.push(this.frame("inbound", this.sentUntilMs, tones.inbound), this.frame("outbound", this.sentUntilMs, tones.outbound));
    }
    this.client.sendFrames(frames);
  }

  private frame(track: Track, timestampMs: number, frequencyHz: number | undefined): MediaFrame {
    const mulaw = frequencyHz
      ? encodeMulaw(sineTone({ frequencyHz, amplitude: this.amplitude, sampleRateHz: SAMPLE_RATE_HZ, samples: FRAME_SAMPLES, startSample: timestampMs * SAMPLES_PER_MS }))
      : new Uint8Array(FRAME_SAMPLES).fill(MULAW_SILENCE);
    return { track, timestampMs, chunk: timestampMs / FRAME_MS + 1, mulaw };
  }
}
