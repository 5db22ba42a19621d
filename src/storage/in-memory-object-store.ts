import { assertValidByteRange, assertValidObjectKey, ObjectInfo, ObjectNotFoundError, ObjectStore, ObjectUpload, UploadClosedError } from "./object-store";

interface StoredObject {
  bytes: Buffer;
  lastModified: Date;
}

interface OpenUpload {
  chunks: Buffer[];
  lastWrite: Date;
}

/** An ObjectStore held in memory, for tests and single-process development runs. */
export class InMemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly uploads = new Set<OpenUpload>();

  async beginUpload(key: string): Promise<ObjectUpload> {
    assertValidObjectKey(key);
    const upload: OpenUpload = { chunks: [], lastWrite: new Date() };
    this.uploads.add(upload);
    let closed = false;
    const close = () => {
      if (closed || !this.uploads.has(upload)) throw new UploadClosedError(key);
      closed = true;
      this.uploads.delete(upload);
    };
    return {
      key,
      write: async (bytes) => {
        if (closed || !this.uploads.has(upload)) throw new UploadClosedError(key);
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
        if (!closed && this.uploads.has(upload)) close();
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

  async abortStaleUploads(olderThan: Date): Promise<number> {
    let removed = 0;
    for (const upload of [...this.uploads]) {
      if (upload.lastWrite < olderThan) {
        this.uploads.delete(upload);
        removed++;
      }
    }
    return removed;
  }
}
