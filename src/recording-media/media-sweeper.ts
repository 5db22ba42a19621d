import { DataSource, LessThan } from "typeorm";
import type { RecordingLifecycleService } from "../recordings/recording-lifecycle.service";
import { isLive, RecordingState } from "../recordings/recording-state";
import { RecordingEntity } from "../recordings/recording.entity";
import { MediaStatus, RecordingMediaEntity } from "./recording-media.entity";
import type { RecordingMediaService } from "./recording-media.service";

/** Uploads no row accounts for (a redaction or an ingest a crash cut before its row) go after this long. */
const UNKNOWN_UPLOAD_GRACE_MS = 30 * 60_000;

export interface SweepReport {
  /** Dead instances' ingests whose call is still live: kept for the gateway's reconnect (resumable ingest). */
  resumableIngests: number;
  abandonedIngests: number;
  recoveredIngests: number;
  abortedUploads: number;
  shreddedObjectsRemoved: number;
  orphanObjectsRemoved: number;
  settledRecordings: number;
}

export interface MediaSweeperOptions {
  /** An ingest row without an owner (written before owners were recorded) is dead once its heartbeat is this old. */
  staleAfterMs: number;
  /** Whether a recording id has a live session on this instance; those are never swept. */
  isLiveHere: (recordingId: string) => boolean;
  /**
   * No other instance shares the database (no REDIS_URL): at startup every upload is a dead process's, so
   * unknown ones go at once rather than after the grace period.
   */
  singleInstance: boolean;
  /** Settles a recording whose call has ended: AVAILABLE with stored audio, FAILED without. */
  settle: (recordingId: string) => Promise<void>;
}

/**
 * Finishes what a crash interrupted, so storage and rows always agree. An ingest belongs to its instance
 * while that instance's liveness lease holds; once it lapsed, the ingest is dead: kept while its call is
 * live (the gateway may reconnect and resume it), otherwise salvaged into the recording (AVAILABLE with
 * what was stored) or abandoned (FAILED). Shredded recordings lose their object; objects and uploads no
 * row accounts for are removed. Never touches a live instance's uploads.
 */
export class MediaSweeper {
  constructor(
    private readonly dataSource: DataSource,
    private readonly media: RecordingMediaService,
    private readonly lifecycle: RecordingLifecycleService,
    private readonly options: MediaSweeperOptions,
  ) {}

  async sweep(options: { atStartup?: boolean } = {}, now = new Date()): Promise<SweepReport> {
    const staleBefore = new Date(now.getTime() - this.options.staleAfterMs);
    const repo = this.dataSource.getRepository(RecordingMediaEntity);
    const report: SweepReport = {
      resumableIngests: 0,
      abandonedIngests: 0,
      recoveredIngests: 0,
      abortedUploads: 0,
      shreddedObjectsRemoved: 0,
      orphanObjectsRemoved: 0,
      settledRecordings: 0,
    };

    for (const row of await repo.find({ where: { status: MediaStatus.WRITING } })) {
      if (this.options.isLiveHere(row.recordingId) || !(await this.isDead(row, staleBefore))) continue;
      const recording = await this.dataSource.getRepository(RecordingEntity).findOne({ where: { id: row.recordingId }, select: { id: true, state: true } });
      if (recording && isLive(recording.state)) {
        report.resumableIngests++;
        continue;
      }
      const salvaged = await this.media.salvage(row);
      if (salvaged === null) continue;
      if (salvaged) report.recoveredIngests++;
      else {
        report.abandonedIngests++;
        await this.lifecycle.markFailed(row.recordingId);
      }
      await this.options.settle(row.recordingId);
    }

    const unfinished = await repo.find({ where: { status: MediaStatus.WRITING } });
    const keep = new Set(unfinished.map((row) => row.uploadId).filter((id): id is string => id !== null));
    const uploadsBefore = options.atStartup && this.options.singleInstance ? now : new Date(now.getTime() - Math.max(this.options.staleAfterMs, UNKNOWN_UPLOAD_GRACE_MS));
    report.abortedUploads = await this.media.store.abortStaleUploads(uploadsBefore, keep);

    const rows = await repo.find();
    const wanted = new Set(rows.filter((r) => r.status === MediaStatus.STORED || r.status === MediaStatus.WRITING).map((r) => r.objectKey));
    for (const row of rows.filter((r) => r.status === MediaStatus.SHREDDED)) {
      if (await this.media.store.delete(row.objectKey)) report.shreddedObjectsRemoved++;
    }
    // Objects younger than the staleness window may belong to a commit or redaction whose row is about to say so.
    const orphansBefore = new Date(now.getTime() - Math.max(this.options.staleAfterMs, this.media.ownership.staleAfterMs));
    for await (const object of this.media.store.list("recordings/")) {
      if (wanted.has(object.key) || object.lastModified >= orphansBefore) continue;
      if (await this.media.store.delete(object.key)) report.orphanObjectsRemoved++;
    }
    // Alone at startup, nothing is in flight: a PROCESSING recording is a crash's leftover now, not once it ages.
    report.settledRecordings = await this.settleStuckRecordings(options.atStartup && this.options.singleInstance ? new Date(now.getTime() + 1) : staleBefore);
    return report;
  }

  /** Its instance's lease lapsed; or this instance's own row with no session here (a failure left it behind). */
  private async isDead(row: RecordingMediaEntity, staleBefore: Date): Promise<boolean> {
    if (row.ownerInstanceId === null) return row.updatedAt < staleBefore;
    if (row.ownerInstanceId === this.media.ownership.instanceId) return true;
    return this.media.ownership.isDead(row.ownerInstanceId);
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
