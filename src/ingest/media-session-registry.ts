import type { EventBus } from "../events/event-bus";
import { MediaStatus } from "../recording-media/recording-media.entity";
import type { RecordingMediaService } from "../recording-media/recording-media.service";
import type { RecordingFinalizer } from "../recordings/recording-finalizer";
import type { RecordingLifecycleService } from "../recordings/recording-lifecycle.service";
import type { RecordingQueryService } from "../recordings/recording-query.service";
import { isLive, RecordingState } from "../recordings/recording-state";
import { LeakListener, LiveMediaSession, SessionPipelineSettings, SessionResult } from "./live-media-session";
import { rootLog } from "../logging/logger";

/** Live ingests touch their rows this often; the sweeper's staleness threshold must be several times longer. */
const HEARTBEAT_MS = 10_000;

/**
 * The live sessions of this instance. It follows recording state from the event bus (so a pause made on
 * any instance reaches the session), and it is the finalizer: a recording leaves PROCESSING when its MP3 is
 * committed (AVAILABLE) or when there is no audio to commit (FAILED).
 */
export class MediaSessionRegistry implements RecordingFinalizer {
  private readonly sessions = new Map<string, LiveMediaSession>();
  private stopFollowing: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly media: RecordingMediaService,
    private readonly recordings: RecordingQueryService,
    private readonly lifecycle: RecordingLifecycleService,
    private readonly pipeline: SessionPipelineSettings,
    private readonly onLeak: LeakListener = () => undefined,
  ) {}

  async start(): Promise<void> {
    this.heartbeat = setInterval(() => void this.media.heartbeat([...this.sessions.keys()]).catch(() => undefined), HEARTBEAT_MS);
    this.heartbeat.unref();
    const events = await this.bus.subscribe("RECORDING_STATE_CHANGED");
    this.stopFollowing = () => void events.return?.();
    void (async () => {
      for await (const event of events) {
        const session = this.sessions.get(event.recordingId);
        if (!session) continue;
        if (isLive(event.state)) session.onStateChanged(event);
        else void this.close(session).catch((error) => rootLog(`finishing recording ${event.recordingId} failed`, error));
      }
    })();
  }

  get size(): number {
    return this.sessions.size;
  }

  has(recordingId: string): boolean {
    return this.sessions.has(recordingId);
  }

  /** Opens a session for a live recording; pauses already recorded are applied from the database. */
  async open(recordingId: string, streamOrigin = new Date()): Promise<LiveMediaSession> {
    const pauses = await this.recordings.pauseIntervals(recordingId);
    const session = await LiveMediaSession.open(recordingId, this.pipeline, this.media, pauses, streamOrigin, this.onLeak);
    this.sessions.set(recordingId, session);
    // A pause committed between reading the intervals and registering is caught up from the database.
    session.applyIntervals(await this.recordings.pauseIntervals(recordingId));
    return session;
  }

  /** Ends a session (stream stopped, socket died, call ended) and settles the recording if its call is over. */
  async close(session: LiveMediaSession): Promise<SessionResult> {
    try {
      const result = await session.finish();
      await this.settleIfEnded(session.recordingId);
      return result;
    } finally {
      if (this.sessions.get(session.recordingId) === session) this.sessions.delete(session.recordingId);
    }
  }

  async finalize(recordingId: string): Promise<void> {
    const session = this.sessions.get(recordingId);
    if (session) {
      await this.close(session);
      return;
    }
    await this.settleIfEnded(recordingId);
  }

  /** Once the call is over (PROCESSING): AVAILABLE with the stored MP3, FAILED when there is none. */
  async settleIfEnded(recordingId: string): Promise<void> {
    const recording = await this.recordings.find(recordingId);
    if (recording?.state !== RecordingState.PROCESSING) return;
    const media = await this.media.find(recordingId);
    if (media?.status === MediaStatus.STORED) {
      // A recovered MP3 has no measured duration; the call's own length stands in for it.
      const durationMs = media.durationMs ?? recording.durationMs ?? 0;
      await this.lifecycle.markAvailable(recordingId, { durationMs, sizeBytes: media.sizeBytes ?? 0, sha256: media.sha256 ?? "" });
    } else if (!media || media.status === MediaStatus.ABANDONED) {
      await this.lifecycle.markFailed(recordingId);
    } else if (media.status === MediaStatus.WRITING && !this.sessions.has(recordingId) && (await this.media.ownership.isDead(media.ownerInstanceId))) {
      // Its instance died mid-call: what it stored becomes the recording (or there is none), then settle again.
      if ((await this.media.salvage(media)) !== null) await this.settleIfEnded(recordingId);
    }
    // WRITING by a live instance: its session finishes on the PROCESSING event and settles it there.
  }

  async closeAll(): Promise<void> {
    clearInterval(this.heartbeat);
    this.stopFollowing?.();
    await Promise.all([...this.sessions.values()].map((session) => this.close(session).catch(() => undefined)));
  }
}
