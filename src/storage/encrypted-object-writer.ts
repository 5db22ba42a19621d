import { ObjectInfo, ObjectStore, ObjectUpload } from "./object-store";
import { SegmentEncryptor } from "./segment-encryptor";

export interface EncryptionContext {
  /** The recording's own data key (unwrapped). */
  dataKey: Uint8Array;
  /** Bound into every segment: the recording id, so objects cannot be swapped between recordings. */
  objectId: string;
}

/**
 * Streams plaintext (the MP3 as it is produced during the call) into an encrypted object. Plaintext
 * is never written: only sealed segments reach the store, and nothing is visible until `commit`.
 */
export class EncryptedObjectWriter {
  private plaintextBytes = 0;

  private constructor(
    private readonly upload: ObjectUpload,
    private readonly encryptor: SegmentEncryptor,
  ) {}

  static async begin(store: ObjectStore, key: string, context: EncryptionContext, segmentBytes?: number): Promise<EncryptedObjectWriter> {
    const encryptor = new SegmentEncryptor(context.dataKey, context.objectId, segmentBytes);
    return new EncryptedObjectWriter(await store.beginUpload(key), encryptor);
  }

  /** The store's id for the unfinished upload (to read it back or discard it after a crash). */
  get uploadId(): string {
    return this.upload.uploadId;
  }

  get writtenPlaintextBytes(): number {
    return this.plaintextBytes;
  }

  /** May be called again before the previous write settles; bytes land in call order. */
  async write(plaintext: Uint8Array): Promise<void> {
    if (plaintext.length === 0) return;
    this.plaintextBytes += plaintext.length;
    // Queued synchronously: awaiting piece by piece would let a later call's segment overtake.
    await Promise.all(this.encryptor.push(plaintext).map((piece) => this.upload.write(piece)));
  }

  async commit(): Promise<ObjectInfo> {
    const written = Promise.all(this.encryptor.finish().map((piece) => this.upload.write(piece)));
    const committed = this.upload.commit();
    await written;
    return committed;
  }

  async abort(): Promise<void> {
    this.encryptor.finish();
    await this.upload.abort();
  }
}
