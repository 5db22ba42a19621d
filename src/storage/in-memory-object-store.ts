import { randomUUID } from "node:crypto";
import { assertValidByteRange, assertValidObjectKey, ObjectInfo, ObjectNotFoundError, ObjectStore, ObjectUpload, UploadClosedError, UploadNotFoundError } from "./object-store";

interface StoredObject {
  bytes: Buffer;
  lastModified: Date;
}

interface OpenUpload {
  id: string;
  chunks: Buffer[];
  lastWrite: Date;
}

/** An ObjectStore held in memory, for tests and single-process development runs. */
export class InMemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly uploads = new Map<string, OpenUpload>();

  async beginUpload(key: string): Promise<ObjectUpload> {
    assertValidObjectKey(key);
    const upload: OpenUpload = { id: randomUUID(), chunks: [], lastWrite: new Date() };
    this.uploads.set(upload.id, upload);
    let closed = false;
    const isOpen = () => !closed && this.uploads.get(upload.id) === upload;
    const close = () => {
      if (!isOpen()) throw new UploadClosedError(key);
      closed = true;
      this.uploads.delete(upload.id);
    };
    return {
      key,
      uploadId: upload.id,
      write: async (bytes) => {
        if (!isOpen()) throw new UploadClosedError(key);
        upload.chunks.push(Buffer.from(bytes));
        upload.lastWrite = new Date();
      },
      commit: async () => {
        close();
        const stored = { bytes: Buffer.concat(upload.chunks), lastModified: new Date() };
        this.objects.set(key, stored);
        return { key, size: stored.bytes.length, lastModified: stored.lastModified };
      },
      abort: async () => {
        if (isOpen()) close();
      },
    };
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertValidObjectKey(key);
    const stored = this.objects.get(key);
    return stored ? { key, size: stored.bytes.length, lastModified: stored.lastModified } : null;
  }

  async readRange(key: string, start: number, endExclusive: number): Promise<Uint8Array> {
    assertValidObjectKey(key);
    assertValidByteRange(start, endExclusive);
    const stored = this.objects.get(key);
    if (!stored) throw new ObjectNotFoundError(key);
    return Buffer.from(stored.bytes.subarray(start, Math.max(start, endExclusive)));
  }

  async delete(key: string): Promise<boolean> {
    assertValidObjectKey(key);
    return this.objects.delete(key);
  }

  async *list(prefix = ""): AsyncIterable<ObjectInfo> {
    for (const [key, stored] of [...this.objects]) {
      if (key.startsWith(prefix)) yield { key, size: stored.bytes.length, lastModified: stored.lastModified };
    }
  }

  async abortStaleUploads(olderThan: Date, keep: ReadonlySet<string> = new Set()): Promise<number> {
    let removed = 0;
    for (const upload of [...this.uploads.values()]) {
      if (upload.lastWrite < olderThan && !keep.has(upload.id)) {
        this.uploads.delete(upload.id);
        removed++;
      }
    }
    return removed;
  }

  async *readUpload(uploadId: string): AsyncIterable<Uint8Array> {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw new UploadNotFoundError(uploadId);
    yield* [...upload.chunks];
  }

  async discardUpload(uploadId: string): Promise<boolean> {
    return this.uploads.delete(uploadId);
  }
}
