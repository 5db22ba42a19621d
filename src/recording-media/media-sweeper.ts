import { DataSource, LessThan } from "typeorm";
import type { RecordingLifecycleService } from "../recordings/recording-lifecycle.service";
import { RecordingState } from "../recordings/recording-state";
import { RecordingEntity } from "../recordings/recording.entity";
import { MediaStatus, RecordingMediaEntity } from "./recording-media.entity";
import type { RecordingMediaService } from "./recording-media.service";

const LIVE_UPLOAD_GRACE_MS = 30 * 60_000;

export interface SweepReport {
  abandonedIngests: number;
  recoveredIngests: number;
  abortedUploads: number;
  shreddedObjectsRemoved: number;
  orphanObjectsRemoved: number;
  settledRecordings: number;
}

export interface MediaSweeperOptions {
  /** An ingest whose heartbeat is older than this is dead (its process crashed). */
  staleAfterMs: number;
  /** Whether a recording id has a live session on this instance; those are never swept. */
  isLiveHere: (recordingId: string) => boolean;
  /**
   * No other instance shares the database (no REDIS_URL): at startup every WRITING row belongs to a process
   * that died, so it is dead now rather than once its heartbeat ages.
   */
  singleInstance: boolean;
  /** Settles a recording whose call has ended: AVAILABLE with stored audio, FAILED without. */
  settle: (recordingId: string) => Promise<void>;
}

/**
 * Finishes what a crash interrupted, so storage and rows always agree: dead ingests lose their upload and
 * row (their recording FAILS if its call is over), shredded recordings lose their object, and objects no
 * row points to are removed.
 */
export class MediaSweeper {
  constructor(
    private readonly dataSource: DataSource,
    private readonly media: RecordingMediaService,
    private readonly lifecycle: RecordingLifecycleService,
    private readonly options: MediaSweeperOptions,
  ) {}

  /**
   * At startup this instance has no live uploads, so every unfinished one is a crash's leftover. Later, a
   * live upload only touches its file once per 64 KiB segment (~16 s at 32 kbps), so only old ones go.
   */
  async sweep(options: { atStartup?: boolean } = {}, now = new Date()): Promise<SweepReport> {
    const staleBefore = new Date(now.getTime() - this.options.staleAfterMs);
    const deadIngestsBefore = options.atStartup && this.options.singleInstance ? new Date(now.getTime() + 1) : staleBefore;
    const repo = this.dataSource.getRepository(RecordingMediaEntity);
    const report: SweepReport = { abandonedIngests: 0, recoveredIngests: 0, abortedUploads: 0, shreddedObjectsRemoved: 0, orphanObjectsRemoved: 0, settledRecordings: 0 };

    for (const row of await repo.find({ where: { status: MediaStatus.WRITING, updatedAt: LessThan(deadIngestsBefore) } })) {
      if (this.options.isLiveHere(row.recordingId)) continue;
      if (await this.media.recoverCommitted(row)) {
        report.recoveredIngests++;
        continue;
      }
      await this.media.abandonIngest(row.recordingId, undefined);
      await this.lifecycle.markFailed(row.recordingId);
      report.abandonedIngests++;
    }
    const uploadsBefore = options.atStartup ? now : new Date(now.getTime() - Math.max(this.options.staleAfterMs, LIVE_UPLOAD_GRACE_MS));
    report.abortedUploads = await this.media.store.abortStaleUploads(uploadsBefore);

    const rows = await repo.find();
    const wanted = new Set(rows.filter((r) => r.status === MediaStatus.STORED || r.status === MediaStatus.WRITING).map((r) => r.objectKey));
    for (const row of rows.filter((r) => r.status === MediaStatus.SHREDDED)) {
      if (await this.media.store.delete(row.objectKey)) report.shreddedObjectsRemoved++;
    }
    for await (const object of this.media.store.list("recordings/")) {
      if (wanted.has(object.key) || object.lastModified >= staleBefore) continue;
      if (await this.media.store.delete(object.key)) report.orphanObjectsRemoved++;
    }
    report.settledRecordings = await this.settleStuckRecordings(deadIngestsBefore);
    return report;
  }

  /** A crash between ending a call and settling its recording would leave it PROCESSING forever. */
  private async settleStuckRecordings(before: Date): Promise<number> {
    const stuck = await this.dataSource
      .getRepository(RecordingEntity)
      .find({ where: { state: RecordingState.PROCESSING, updatedAt: LessThan(before) }, select: { id: true } });
    let settled = 0;
    for (const { id } of stuck) {
      if (this.options.isLiveHere(id)) continue;
      await this.options.settle(id);
      settled++;
    }
    return settled;
  }
}
