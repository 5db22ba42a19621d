import { createHash, Hash, hkdfSync, randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { DataSource, In } from "typeorm";
import { crashPoint } from "../common/fault-injection";
import { isUniqueViolation } from "../database/errors";
import type { UnitOfWork } from "../database/transaction";
import { isMysql } from "../database/data-source";
import type { RecordingShredder } from "../recordings/recording-finalizer";
import { isLive } from "../recordings/recording-state";
import { RecordingEntity } from "../recordings/recording.entity";
import { EncryptedObjectReader } from "../storage/encrypted-object-reader";
import { EncryptedObjectWriter } from "../storage/encrypted-object-writer";
import { generateDataKey, MasterKey, unwrapKey, wrapKey } from "../storage/envelope-keys";
import { ObjectStore, UploadNotFoundError } from "../storage/object-store";
import { decryptUnfinished } from "../storage/unfinished-object-reader";
import { Mp3FrameCutter, silenceMp3 } from "./mp3-frames";
import { MediaStatus, RecordingMediaEntity } from "./recording-media.entity";

/**
 * Live ingests seal small segments: a crash loses at most the one being filled (about 2 s of a 32 kbps MP3),
 * the rest can be resumed. Stored objects are read with whatever segment size their header says.
 */
export const INGEST_SEGMENT_BYTES = 8 * 1024;

/** Which instance is this one, and which are dead; ingests of dead instances may be taken over. */
export interface IngestOwnership {
  instanceId: string;
  isDead(instanceId: string | null): Promise<boolean>;
  /** How long a live-looking owner may take to be declared dead once it crashed. */
  staleAfterMs: number;
}

/** The audio kept from before a crash, already written to the new upload. */
export interface IngestPrefix {
  bytes: number;
  durationMs: number;
  /** Running SHA-256 of the whole MP3 so far; the session keeps feeding it. */
  hash: Hash;
}

export interface IngestStart {
  writer: EncryptedObjectWriter;
  /** Set when the ingest resumed a dead instance's: the new audio is appended after it. */
  prefix?: IngestPrefix;
}

export interface ProducedMp3 {
  sizeBytes: number;
  sha256: string;
  durationMs: number;
}

export interface OpenedAudio {
  reader: EncryptedObjectReader;
  media: RecordingMediaEntity;
}

export class AudioUnavailableError extends Error {
  constructor(recordingId: string) {
    super(`recording ${recordingId} has no stored audio`);
    this.name = "AudioUnavailableError";
  }
}

export class AlreadyIngestingError extends Error {
  constructor(recordingId: string) {
    super(`recording ${recordingId} already has audio`);
    this.name = "AlreadyIngestingError";
  }
}

export class IngestTakenOverError extends Error {
  constructor(recordingId: string) {
    super(`recording ${recordingId}'s ingest was taken over by another instance; this instance's audio was discarded`);
    this.name = "IngestTakenOverError";
  }
}

export const objectKeyFor = (recordingId: string, generation: number) => `recordings/${recordingId}/g${generation}.mp3.enc`;

/**
 * Owns where each recording's encrypted MP3 lives and the wrapped key that opens it. The object key is
 * bound into every segment, so objects cannot be swapped between recordings or generations.
 */
export class RecordingMediaService implements RecordingShredder {
  constructor(
    private readonly dataSource: DataSource,
    readonly store: ObjectStore,
    private readonly masterKey: MasterKey,
    readonly ownership: IngestOwnership = { instanceId: "local", isDead: async (id) => id !== "local", staleAfterMs: 0 },
  ) {}

  /**
   * Starts a live ingest owned by this instance. When the recording already has an unfinished ingest whose
   * instance died (the gateway reconnected after a crash), that audio is kept and the new audio appended;
   * an owner that still looks alive gets up to its staleness window to be declared dead.
   */
  async startIngest(recordingId: string, streamStartedAt: Date): Promise<IngestStart> {
    const deadline = Date.now() + this.ownership.staleAfterMs + 1_000;
    for (;;) {
      try {
        return { writer: await this.beginIngest(recordingId, streamStartedAt) };
      } catch (error) {
        if (!(error instanceof AlreadyIngestingError)) throw error;
      }
      const row = await this.find(recordingId);
      if (row?.status === MediaStatus.STORED) {
        // The stream ended while the call went on (a dropped connection, an instance that shut down cleanly).
        const reopened = await this.reopenStored(row);
        if (reopened) return (await this.takeOver(reopened, streamStartedAt)) ?? Promise.reject(new AlreadyIngestingError(recordingId));
        throw new AlreadyIngestingError(recordingId);
      }
      if (row?.status !== MediaStatus.WRITING || row.ownerInstanceId === this.ownership.instanceId) throw new AlreadyIngestingError(recordingId);
      if (await this.ownership.isDead(row.ownerInstanceId)) {
        const resumed = await this.takeOver(row, streamStartedAt);
        if (resumed) return resumed;
      }
      if (Date.now() > deadline) throw new AlreadyIngestingError(recordingId);
      await sleep(250);
    }
  }

  /**
   * Turns a live call's committed audio back into an ingest owned by this instance, so a reconnected stream
   * appends to it. Only while the call is live, checked under the recording's row lock: once the call has
   * ended the recording settles with the audio as it is. Null when the call is over or the row changed.
   */
  private async reopenStored(row: RecordingMediaEntity): Promise<RecordingMediaEntity | null> {
    return this.dataSource.transaction(async (manager) => {
      const recording = await manager.findOne(RecordingEntity, {
        where: { id: row.recordingId },
        lock: isMysql(this.dataSource) ? { mode: "pessimistic_write" } : undefined,
      });
      if (!recording || !isLive(recording.state)) return null;
      const claim = { status: MediaStatus.WRITING, ownerInstanceId: this.ownership.instanceId, uploadId: null, updatedAt: new Date() };
      const claimed = await manager.update(
        RecordingMediaEntity,
        { recordingId: row.recordingId, status: MediaStatus.STORED, generation: row.generation, objectKey: row.objectKey },
        claim,
      );
      return claimed.affected === 1 ? { ...row, ...claim } : null;
    });
  }

  /**
   * Claims a dead instance's WRITING row and copies the audio it stored (whole MP3 frames, re-encrypted under
   * a new data key into a new upload: re-sealing the old segments would reuse their nonces). With `resumeAt`,
   * the time between the last stored frame and the reconnect becomes silence, so the audio stays on the
   * call's clock and pause offsets keep pointing at the right audio. Null when another instance claimed it.
   */
  async takeOver(row: RecordingMediaEntity, resumeAt?: Date): Promise<IngestStart | null> {
    const me = this.ownership.instanceId;
    const claimed = await this.dataSource
      .createQueryBuilder()
      .update(RecordingMediaEntity)
      .set({ ownerInstanceId: me, updatedAt: new Date() })
      .where("recordingId = :recordingId AND status = :status", { recordingId: row.recordingId, status: MediaStatus.WRITING })
      .andWhere(row.ownerInstanceId === null ? "ownerInstanceId IS NULL" : "ownerInstanceId = :owner", { owner: row.ownerInstanceId })
      .andWhere(row.uploadId === null ? "uploadId IS NULL" : "uploadId = :uploadId", { uploadId: row.uploadId })
      .execute();
    if (claimed.affected !== 1) return null;

    const objectKey = objectKeyFor(row.recordingId, row.generation).replace(/\.mp3\.enc$/, `-${randomBytes(6).toString("hex")}.mp3.enc`);
    const { dataKey, wrappedKey } = this.newDataKey(row.recordingId);
    const writer = await EncryptedObjectWriter.begin(this.store, objectKey, { dataKey, objectId: objectKey }, INGEST_SEGMENT_BYTES);
    const hash = createHash("sha256");
    let bytes = 0;
    const append = async (piece: Uint8Array) => {
      if (piece.length === 0) return;
      hash.update(piece);
      bytes += piece.length;
      await writer.write(piece);
    };
    let durationMs: number;
    try {
      const frames = new Mp3FrameCutter();
      for await (const plaintext of this.storedAudio(row)) await append(frames.push(plaintext));
      durationMs = frames.durationMs;
      if (resumeAt && row.streamStartedAt) {
        const gapMs = resumeAt.getTime() - row.streamStartedAt.getTime() - durationMs;
        const silence = new Mp3FrameCutter();
        for await (const piece of silenceMp3(gapMs)) await append(silence.push(piece));
        durationMs += silence.durationMs;
      }
    } catch (error) {
      // Unclaimed again (an owner of null is dead), so the next reconnect or sweep can retry.
      await writer.abort().catch(() => undefined);
      await this.dataSource
        .getRepository(RecordingMediaEntity)
        .update({ recordingId: row.recordingId, status: MediaStatus.WRITING, ownerInstanceId: me }, { ownerInstanceId: null })
        .catch(() => undefined);
      throw error;
    }
    await this.dataSource
      .getRepository(RecordingMediaEntity)
      .update({ recordingId: row.recordingId, status: MediaStatus.WRITING, ownerInstanceId: me }, { objectKey, wrappedKey, uploadId: writer.uploadId, updatedAt: new Date() });
    if (row.uploadId) await this.store.discardUpload(row.uploadId).catch(() => undefined);
    if (row.objectKey !== objectKey) await this.store.delete(row.objectKey).catch(() => undefined);
    return { writer, prefix: { bytes, durationMs, hash } };
  }

  /** The plaintext a WRITING row's audio holds so far: its committed object (a crash right after commit) or its upload. */
  private async *storedAudio(row: RecordingMediaEntity): AsyncGenerator<Uint8Array> {
    if (!row.wrappedKey) return;
    const context = { dataKey: unwrapKey(row.wrappedKey, this.masterKey, row.recordingId), objectId: row.objectKey };
    if (await this.store.stat(row.objectKey)) {
      const reader = await EncryptedObjectReader.open(this.store, row.objectKey, context);
      if (reader.plaintextBytes > 0) yield* reader.read({ start: 0, endInclusive: reader.plaintextBytes - 1 });
      return;
    }
    if (!row.uploadId) return;
    try {
      yield* decryptUnfinished(this.store.readUpload(row.uploadId), context);
    } catch (error) {
      // Nothing durable yet (an upload that never flushed) is an empty prefix, not a failure.
      if (!(error instanceof UploadNotFoundError)) throw error;
    }
  }

  /**
   * Settles a dead instance's ingest whose call is over: the audio it stored becomes the recording (true), or,
   * with none, the row is abandoned (false). Null when another instance got there first.
   */
  async salvage(row: RecordingMediaEntity): Promise<boolean | null> {
    if (await this.recoverCommitted(row)) return true;
    const taken = await this.takeOver(row);
    if (!taken) return null;
    const { writer, prefix } = taken;
    if (!prefix || prefix.bytes === 0) {
      await this.abandonIngest(row.recordingId, writer);
      return false;
    }
    await this.commitIngest(row.recordingId, writer, { sizeBytes: prefix.bytes, sha256: prefix.hash.digest("hex"), durationMs: Math.round(prefix.durationMs) });
    return true;
  }

  /** A fresh data key and an invisible upload; the row says WRITING until the MP3 is committed. */
  async beginIngest(recordingId: string, streamStartedAt: Date = new Date()): Promise<EncryptedObjectWriter> {
    const dataKey = generateDataKey();
    const objectKey = objectKeyFor(recordingId, 1);
    const repo = this.dataSource.getRepository(RecordingMediaEntity);
    const writer = await EncryptedObjectWriter.begin(this.store, objectKey, { dataKey, objectId: objectKey }, INGEST_SEGMENT_BYTES);
    try {
      await repo.insert({
        recordingId,
        generation: 1,
        status: MediaStatus.WRITING,
        objectKey,
        wrappedKey: wrapKey(dataKey, this.masterKey, recordingId),
        sizeBytes: null,
        sha256: null,
        durationMs: null,
        updatedAt: new Date(),
        ownerInstanceId: this.ownership.instanceId,
        uploadId: writer.uploadId,
        streamStartedAt,
      });
    } catch (error) {
      await writer.abort().catch(() => undefined);
      if (isUniqueViolation(error)) throw new AlreadyIngestingError(recordingId);
      throw error;
    }
    return writer;
  }

  /** One UPDATE for all of an instance's live ingests, so the sweeper can tell live ones from dead ones. */
  async heartbeat(recordingIds: string[]): Promise<void> {
    if (recordingIds.length === 0) return;
    await this.dataSource
      .getRepository(RecordingMediaEntity)
      .update({ recordingId: In(recordingIds), status: MediaStatus.WRITING }, { updatedAt: new Date() });
  }

  /** Publishes the object, then records it: a crash between the two leaves an object the sweeper removes. */
  async commitIngest(recordingId: string, writer: EncryptedObjectWriter, mp3: ProducedMp3): Promise<void> {
    const { key } = await writer.commit();
    const recorded = await this.dataSource
      .getRepository(RecordingMediaEntity)
      .update(
        { recordingId, status: MediaStatus.WRITING, ownerInstanceId: this.ownership.instanceId, objectKey: key },
        { status: MediaStatus.STORED, ...mp3, uploadId: null, updatedAt: new Date() },
      );
    if (recorded.affected !== 1) {
      // Taken over meanwhile (this instance was presumed dead): the row points elsewhere, this object is an orphan.
      await this.store.delete(key).catch(() => undefined);
      throw new IngestTakenOverError(recordingId);
    }
  }

  /**
   * A crash between publishing the object and marking the row STORED leaves a complete MP3 under a WRITING
   * row: it is verified (every segment authenticates) and kept instead of being swept as an orphan.
   */
  async recoverCommitted(row: RecordingMediaEntity): Promise<boolean> {
    if (row.status !== MediaStatus.WRITING || !row.wrappedKey || !(await this.store.stat(row.objectKey))) return false;
    try {
      const dataKey = unwrapKey(row.wrappedKey, this.masterKey, row.recordingId);
      const reader = await EncryptedObjectReader.open(this.store, row.objectKey, { dataKey, objectId: row.objectKey });
      const hash = createHash("sha256");
      if (reader.plaintextBytes > 0) for await (const piece of reader.read({ start: 0, endInclusive: reader.plaintextBytes - 1 })) hash.update(piece);
      await this.dataSource
        .getRepository(RecordingMediaEntity)
        .update(
          { recordingId: row.recordingId, status: MediaStatus.WRITING },
          { status: MediaStatus.STORED, sizeBytes: reader.plaintextBytes, sha256: hash.digest("hex"), uploadId: null, updatedAt: new Date() },
        );
      return true;
    } catch {
      return false;
    }
  }

  /** Nothing worth keeping: the upload is discarded and the row removed, leaving no orphan. */
  async abandonIngest(recordingId: string, writer: EncryptedObjectWriter | undefined): Promise<void> {
    await writer?.abort().catch(() => undefined);
    await this.dataSource.getRepository(RecordingMediaEntity).delete({ recordingId, status: MediaStatus.WRITING });
  }

  async find(recordingId: string): Promise<RecordingMediaEntity | null> {
    return this.dataSource.getRepository(RecordingMediaEntity).findOne({ where: { recordingId } });
  }

  /** Decrypts lazily: only the segments a range touches are read. */
  async openAudio(recordingId: string): Promise<OpenedAudio> {
    const media = await this.find(recordingId);
    if (!media || media.status !== MediaStatus.STORED || !media.wrappedKey) throw new AudioUnavailableError(recordingId);
    const dataKey = unwrapKey(media.wrappedKey, this.masterKey, recordingId);
    return { media, reader: await EncryptedObjectReader.open(this.store, media.objectKey, { dataKey, objectId: media.objectKey }) };
  }

  /**
   * Crypto-shredding, inside the tombstone's transaction: the wrapped data key is destroyed with the
   * deletion, so every copy of the ciphertext (backups included) is unreadable from that commit on.
   * The object itself is removed after commit; the sweeper finishes removals a crash interrupted.
   */
  async shredInTransaction(uow: UnitOfWork, recordingId: string): Promise<void> {
    const media = await uow.manager.findOne(RecordingMediaEntity, { where: { recordingId }, lock: uow.lock });
    if (!media) return;
    await uow.manager.update(RecordingMediaEntity, { recordingId }, { wrappedKey: null, status: MediaStatus.SHREDDED, updatedAt: new Date() });
    uow.afterCommit(async () => {
      crashPoint("crash-after-delete-commit");
      await this.store.delete(media.objectKey);
    });
  }

  /** A purpose-bound secret derived from the master key (HKDF), e.g. for signing download URLs. */
  deriveSecret(purpose: string): Buffer {
    return Buffer.from(hkdfSync("sha256", this.masterKey.bytes, Buffer.alloc(0), `callvault/${purpose}`, 32));
  }

  /** Wraps a new data key for a replacement object (redaction). */
  private newDataKey(recordingId: string): { dataKey: Buffer; wrappedKey: string } {
    const dataKey = generateDataKey();
    return { dataKey, wrappedKey: wrapKey(dataKey, this.masterKey, recordingId) };
  }

  /**
   * An invisible upload of the next generation under a new data key (redaction). The key carries a random
   * suffix: two redactions racing for the same generation must never write, or clean up, the same object.
   */
  async beginReplacement(current: RecordingMediaEntity): Promise<{ generation: number; objectKey: string; wrappedKey: string; writer: EncryptedObjectWriter }> {
    const generation = current.generation + 1;
    const objectKey = objectKeyFor(current.recordingId, generation).replace(/\.mp3\.enc$/, `-${randomBytes(6).toString("hex")}.mp3.enc`);
    const { dataKey, wrappedKey } = this.newDataKey(current.recordingId);
    const writer = await EncryptedObjectWriter.begin(this.store, objectKey, { dataKey, objectId: objectKey });
    return { generation, objectKey, wrappedKey, writer };
  }

  /**
   * Points the row at a committed replacement, only if it is still STORED at `fromGeneration` (false
   * otherwise). Overwriting the wrapped key shreds the previous object and every copy of it; the object
   * itself is removed after commit, or by the sweeper if a crash intervenes.
   */
  async swapInTransaction(
    uow: UnitOfWork,
    recordingId: string,
    fromGeneration: number,
    replacement: { generation: number; objectKey: string; wrappedKey: string },
    mp3: ProducedMp3,
  ): Promise<boolean> {
    const media = await uow.manager.findOne(RecordingMediaEntity, { where: { recordingId }, lock: uow.lock });
    if (!media || media.status !== MediaStatus.STORED || media.generation !== fromGeneration) return false;
    const result = await uow.manager
      .createQueryBuilder()
      .update(RecordingMediaEntity)
      .set({ generation: replacement.generation, objectKey: replacement.objectKey, wrappedKey: replacement.wrappedKey, ...mp3, updatedAt: new Date() })
      .where("recordingId = :recordingId AND generation = :fromGeneration AND status = :status", { recordingId, fromGeneration, status: MediaStatus.STORED })
      .execute();
    if (result.affected !== 1) return false;
    uow.afterCommit(async () => {
      await this.store.delete(media.objectKey);
    });
    return true;
  }

  /**
   * Removes a replacement that did not get swapped in, unless the row points at it after all (a commit whose
   * answer was lost). When in doubt the object stays: the sweeper removes it once no row points to it.
   */
  async discardReplacement(recordingId: string, objectKey: string): Promise<void> {
    const media = await this.find(recordingId);
    if (media?.objectKey !== objectKey) await this.store.delete(objectKey);
  }
}
