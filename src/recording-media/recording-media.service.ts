import { createHash, hkdfSync, randomBytes } from "node:crypto";
import { DataSource, In } from "typeorm";
import { crashPoint } from "../common/fault-injection";
import { isUniqueViolation } from "../database/errors";
import type { UnitOfWork } from "../database/transaction";
import type { RecordingShredder } from "../recordings/recording-finalizer";
import { EncryptedObjectReader } from "../storage/encrypted-object-reader";
import { EncryptedObjectWriter } from "../storage/encrypted-object-writer";
import { generateDataKey, MasterKey, unwrapKey, wrapKey } from "../storage/envelope-keys";
import type { ObjectStore } from "../storage/object-store";
import { MediaStatus, RecordingMediaEntity } from "./recording-media.entity";

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
  ) {}

  /** A fresh data key and an invisible upload; the row says WRITING until the MP3 is committed. */
  async beginIngest(recordingId: string): Promise<EncryptedObjectWriter> {
    const dataKey = generateDataKey();
    const objectKey = objectKeyFor(recordingId, 1);
    const repo = this.dataSource.getRepository(RecordingMediaEntity);
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
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AlreadyIngestingError(recordingId);
      throw error;
    }
    return EncryptedObjectWriter.begin(this.store, objectKey, { dataKey, objectId: objectKey });
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
    await writer.commit();
    await this.dataSource
      .getRepository(RecordingMediaEntity)
      .update({ recordingId, status: MediaStatus.WRITING }, { status: MediaStatus.STORED, ...mp3, updatedAt: new Date() });
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
          { status: MediaStatus.STORED, sizeBytes: reader.plaintextBytes, sha256: hash.digest("hex"), updatedAt: new Date() },
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
