import type { PauseBehavior } from "../config/config";
import type { RecordingStateChangedEvent } from "../events/topics";
import type { MediaFrame } from "../media/media-frame";
import type { PauseOutcome } from "../media/pause-cutter";
import { RecordingPipeline } from "../media/recording-pipeline";
import type { FrameOutcome } from "../media/track-mixer";
import type { IngestPrefix, RecordingMediaService } from "../recording-media/recording-media.service";
import type { PauseIntervalEntity } from "../recordings/pause-interval.entity";
import { RecordingState } from "../recordings/recording-state";
import type { EncryptedObjectWriter } from "../storage/encrypted-object-writer";

export interface SessionCounters {
  accepted: number;
  dropped: number;
  rejected: number;
}

export interface PauseLeak {
  recordingId: string;
  leakedMs: number;
  /** Where the pause begins on the stream's timeline. */
  pauseOffsetMs: number;
}

export type LeakListener = (leak: PauseLeak) => void;

export interface SessionResult {
  stored: boolean;
  sizeBytes: number;
  sha256: string;
  durationMs: number;
}

/**
 * One call's audio on this instance: frames → mixer → pause cutter → MP3 encoder → encrypted upload.
 * Pauses are placed on the stream's timeline by wall-clock time, so a pause learned late (from another
 * instance, through Redis) still cuts at its own instant as long as it lands within the hold-back window.
 */
export class LiveMediaSession {
  readonly counters: SessionCounters = { accepted: 0, dropped: 0, rejected: 0 };
  /** Paused audio that got past the cutter because its pause was learned after the hold-back window. */
  leakedMs = 0;
  private writes: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private openPauseStartMs: number | undefined;
  private finishing: Promise<SessionResult> | undefined;

  private constructor(
    readonly recordingId: string,
    private readonly streamOriginMs: number,
    private readonly pipeline: RecordingPipeline,
    private readonly writer: EncryptedObjectWriter,
    private readonly media: RecordingMediaService,
    private readonly onLeak: LeakListener,
    /** Audio kept from before a crash, already in the upload; this session's MP3 is appended to it. */
    private readonly prefix?: IngestPrefix,
  ) {
  }

  static async open(
    recordingId: string,
    pauseBehavior: PauseBehavior,
    media: RecordingMediaService,
    pausesSoFar: PauseIntervalEntity[],
    streamOrigin = new Date(),
    onLeak: LeakListener = () => undefined,
  ): Promise<LiveMediaSession> {
    const pipeline = await RecordingPipeline.create({ cutter: { behavior: pauseBehavior } });
    const { writer, prefix } = await media.startIngest(recordingId, streamOrigin);
    const session = new LiveMediaSession(recordingId, streamOrigin.getTime(), pipeline, writer, media, onLeak, prefix);
    session.applyIntervals(pausesSoFar);
    return session;
  }

  get finished(): boolean {
    return this.finishing !== undefined;
  }

  pushFrame(frame: MediaFrame): FrameOutcome {
    if (this.finishing) return { kind: "rejected", reason: "finished" };
    const { outcome, mp3 } = this.pipeline.pushFrame(frame);
    this.counters[outcome.kind === "accepted" ? "accepted" : outcome.kind === "dropped" ? "dropped" : "rejected"]++;
    if (mp3.length > 0) this.write(mp3);
    return outcome;
  }

  /** Follows the control plane's pauses and resumes as they are published. */
  onStateChanged(event: RecordingStateChangedEvent): void {
    if (event.recordingId !== this.recordingId) return;
    const at = new Date(event.occurredAt);
    if (event.state === RecordingState.PAUSED && event.previousState === RecordingState.RECORDING) this.applyPause(at, null);
    else if (event.state === RecordingState.RECORDING && event.previousState === RecordingState.PAUSED) this.closePause(at);
  }

  /** Applies stored pause intervals; applying one again only extends its cut, so this is safe to repeat. */
  applyIntervals(intervals: Pick<PauseIntervalEntity, "startedAt" | "endedAt">[]): void {
    for (const interval of intervals) this.applyPause(interval.startedAt, interval.endedAt);
  }

  /** Drains the pipeline and commits the MP3; with no audio at all, abandons the upload. Idempotent. */
  finish(): Promise<SessionResult> {
    this.finishing ??= this.complete();
    return this.finishing;
  }

  private async complete(): Promise<SessionResult> {
    const { mp3, summary } = this.pipeline.finish();
    if (mp3.length > 0) this.write(mp3);
    await this.writes;
    const kept = this.prefix?.bytes ?? 0;
    if (this.writeError !== undefined || (summary.pcmSamples === 0 && kept === 0)) {
      await this.media.abandonIngest(this.recordingId, this.writer);
      return { stored: false, sizeBytes: 0, sha256: summary.sha256Hex, durationMs: 0 };
    }
    const produced = this.prefix
      ? { sizeBytes: kept + summary.byteLength, sha256: this.prefix.hash.digest("hex"), durationMs: Math.round(this.prefix.durationMs + summary.durationMs) }
      : { sizeBytes: summary.byteLength, sha256: summary.sha256Hex, durationMs: Math.round(summary.durationMs) };
    await this.media.commitIngest(this.recordingId, this.writer, produced);
    return { stored: true, ...produced };
  }

  private applyPause(startedAt: Date, endedAt: Date | null): void {
    const startOffsetMs = this.toStreamMs(startedAt);
    this.report(this.pipeline.applyPause({ startOffsetMs, endOffsetMs: endedAt ? Math.max(startOffsetMs, this.toStreamMs(endedAt)) : null }), startOffsetMs);
    if (!endedAt) this.openPauseStartMs = startOffsetMs;
    else if (this.openPauseStartMs === startOffsetMs) this.openPauseStartMs = undefined;
  }

  private closePause(at: Date): void {
    if (this.openPauseStartMs === undefined) return;
    this.report(this.pipeline.applyPause({ startOffsetMs: this.openPauseStartMs, endOffsetMs: Math.max(this.openPauseStartMs, this.toStreamMs(at)) }), this.openPauseStartMs);
    this.openPauseStartMs = undefined;
  }

  /** A pause that arrived after its audio had left the hold-back window let some of it through: say so loudly. */
  private report(outcome: PauseOutcome, pauseOffsetMs: number): void {
    if (outcome.kind === "applied-late") {
      this.leakedMs += outcome.leakedMs;
      this.onLeak({ recordingId: this.recordingId, leakedMs: outcome.leakedMs, pauseOffsetMs });
    }
  }

  private toStreamMs(at: Date): number {
    return Math.max(0, at.getTime() - this.streamOriginMs);
  }

  private write(bytes: Uint8Array): void {
    this.prefix?.hash.update(bytes);
    this.writes = this.writes.then(() => this.writer.write(bytes)).catch((error) => {
      this.writeError ??= error;
    });
  }
}
