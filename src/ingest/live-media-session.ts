import type { PauseBehavior } from "../config/config";
import type { RecordingStateChangedEvent } from "../events/topics";
import type { MediaFrame } from "../media/media-frame";
import type { PauseOutcome } from "../media/pause-cutter";
import type { FrameOutcome } from "../media/track-mixer";
import type { MediaPipelineError, MediaWorkerPool, RemotePipeline } from "../media-workers/media-worker-pool";
import type { FrameRejection } from "../media-workers/pipeline-protocol";
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

/** How this instance's sessions run their pipelines. */
export interface SessionPipelineSettings {
  workers: MediaWorkerPool;
  pauseBehavior: PauseBehavior;
  /** A pause cuts from this long before its request arrived (PAUSE_GUARD_MS). */
  pauseGuardMs: number;
}

/** What the stream feeding a session learns after `pushFrame` returned: the pipeline runs on a worker thread. */
export interface SessionObserver {
  frameRejected(reason: FrameRejection): void;
  /** Frames the pipeline took in or dropped (late or duplicate) since the last report. */
  framesCounted(counts: { accepted: number; dropped: number }): void;
  /** The call's pipeline is gone (its worker crashed): the session keeps nothing and the stream should end. */
  failed(error: MediaPipelineError): void;
}

export interface SessionResult {
  stored: boolean;
  sizeBytes: number;
  sha256: string;
  durationMs: number;
}

/**
 * One call's audio on this instance: frames → mixer → pause cutter → MP3 encoder (on a media worker
 * thread) → encrypted upload. Pauses are placed on the stream's timeline by wall-clock time, so a pause
 * learned late (from another instance, through Redis) still cuts at its own instant as long as it lands
 * within the hold-back window.
 */
export class LiveMediaSession {
  readonly counters: SessionCounters = { accepted: 0, dropped: 0, rejected: 0 };
  /** Paused audio that got past the cutter because its pause was learned after the hold-back window. */
  leakedMs = 0;
  private writes: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private openPauseStartMs: number | undefined;
  private finishing: Promise<SessionResult> | undefined;
  private pipeline!: RemotePipeline;
  /** Per cut start: how much of it is guard band before the pause instant (not paused audio if it leaks). */
  private readonly guardedMs = new Map<number, number>();
  private observer: SessionObserver | undefined;

  private constructor(
    readonly recordingId: string,
    private readonly streamOriginMs: number,
    private readonly pauseGuardMs: number,
    private readonly writer: EncryptedObjectWriter,
    private readonly media: RecordingMediaService,
    private readonly onLeak: LeakListener,
    /** Audio kept from before a crash, already in the upload; this session's MP3 is appended to it. */
    private readonly prefix?: IngestPrefix,
  ) {
  }

  static async open(
    recordingId: string,
    settings: SessionPipelineSettings,
    media: RecordingMediaService,
    pausesSoFar: PauseIntervalEntity[],
    streamOrigin = new Date(),
    onLeak: LeakListener = () => undefined,
  ): Promise<LiveMediaSession> {
    const { writer, prefix } = await media.startIngest(recordingId, streamOrigin);
    const session = new LiveMediaSession(recordingId, streamOrigin.getTime(), settings.pauseGuardMs, writer, media, onLeak, prefix);
    session.pipeline = settings.workers.open(settings.pauseBehavior, {
      frames: (counts, rejections) => session.onFrames(counts, rejections),
      pause: (span, outcome) => session.report(outcome, span.startOffsetMs),
      mp3: (bytes) => session.write(bytes),
      failed: (error) => session.observer?.failed(error),
    });
    session.applyIntervals(pausesSoFar);
    return session;
  }

  /** Hears of frames the mixer rejected and of the pipeline failing (both arrive after `pushFrame` returned). */
  observe(observer: SessionObserver): void {
    this.observer = observer;
    if (this.pipeline.failed) observer.failed(this.pipeline.failed);
  }

  get finished(): boolean {
    return this.finishing !== undefined;
  }

  /**
   * Hands a frame to the call's pipeline: "accepted" here means queued for the worker, whose verdict
   * (accepted, dropped as late or duplicate, rejected) lands in `counters` and, for rejections, the observer.
   */
  pushFrame(frame: MediaFrame): FrameOutcome {
    if (this.finishing || this.pipeline.failed) {
      this.counters.rejected++;
      return { kind: "rejected", reason: "finished" };
    }
    this.pipeline.pushFrame(frame);
    return { kind: "accepted" };
  }

  /** Follows the control plane's pauses and resumes as they are published. */
  onStateChanged(event: RecordingStateChangedEvent): void {
    if (event.recordingId !== this.recordingId) return;
    // A pause applies from when its request arrived (effectiveAt; an instance from before it was published sends
    // only occurredAt); a resume from its commit.
    if (event.state === RecordingState.PAUSED && event.previousState === RecordingState.RECORDING) this.applyPause(new Date(event.effectiveAt ?? event.occurredAt), null);
    else if (event.state === RecordingState.RECORDING && event.previousState === RecordingState.PAUSED) this.closePause(new Date(event.occurredAt));
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
    // A pipeline that failed (its worker crashed) cannot finish its MP3: the call keeps nothing and ends FAILED.
    const summary = await this.pipeline.finish().catch(() => undefined);
    await this.writes;
    const kept = this.prefix?.bytes ?? 0;
    if (summary === undefined || this.writeError !== undefined || (summary.pcmSamples === 0 && kept === 0)) {
      await this.media.abandonIngest(this.recordingId, this.writer);
      return { stored: false, sizeBytes: 0, sha256: summary?.sha256Hex ?? "", durationMs: 0 };
    }
    const produced = this.prefix
      ? { sizeBytes: kept + summary.byteLength, sha256: this.prefix.hash.digest("hex"), durationMs: Math.round(this.prefix.durationMs + summary.durationMs) }
      : { sizeBytes: summary.byteLength, sha256: summary.sha256Hex, durationMs: Math.round(summary.durationMs) };
    await this.media.commitIngest(this.recordingId, this.writer, produced);
    return { stored: true, ...produced };
  }

  /**
   * `startedAt` is when the pause request arrived; the cut begins PAUSE_GUARD_MS before it, because the
   * customer may start reading the moment the agent clicks, and clocks and timestamps are never exact.
   */
  private applyPause(startedAt: Date, endedAt: Date | null): void {
    const pausedFromMs = this.toStreamMs(startedAt);
    const startOffsetMs = Math.max(0, pausedFromMs - this.pauseGuardMs);
    this.guardedMs.set(startOffsetMs, pausedFromMs - startOffsetMs);
    this.pipeline.applyPause({ startOffsetMs, endOffsetMs: endedAt ? Math.max(startOffsetMs, this.toStreamMs(endedAt)) : null });
    if (!endedAt) this.openPauseStartMs = startOffsetMs;
    else if (this.openPauseStartMs === startOffsetMs) this.openPauseStartMs = undefined;
  }

  private closePause(at: Date): void {
    if (this.openPauseStartMs === undefined) return;
    this.pipeline.applyPause({ startOffsetMs: this.openPauseStartMs, endOffsetMs: Math.max(this.openPauseStartMs, this.toStreamMs(at)) });
    this.openPauseStartMs = undefined;
  }

  private onFrames(counts: SessionCounters, rejections: readonly FrameRejection[]): void {
    this.counters.accepted += counts.accepted;
    this.counters.dropped += counts.dropped;
    this.counters.rejected += counts.rejected;
    this.observer?.framesCounted({ accepted: counts.accepted, dropped: counts.dropped });
    for (const reason of rejections) this.observer?.frameRejected(reason);
  }

  /** A pause that arrived after its audio had left the hold-back window let some of it through: say so loudly. */
  private report(outcome: PauseOutcome, cutOffsetMs: number): void {
    if (outcome.kind !== "applied-late") return;
    // The cut's guard band is audio from before the pause: only what leaked past the pause instant was paused.
    const guardMs = this.guardedMs.get(cutOffsetMs) ?? 0;
    const leakedMs = outcome.leakedMs - guardMs;
    if (leakedMs <= 0) return;
    this.leakedMs += leakedMs;
    this.onLeak({ recordingId: this.recordingId, leakedMs, pauseOffsetMs: cutOffsetMs + guardMs });
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
