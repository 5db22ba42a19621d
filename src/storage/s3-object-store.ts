import { randomUUID } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import {
  assertValidByteRange,
  assertValidObjectKey,
  assertValidUploadId,
  isValidObjectKey,
  ObjectInfo,
  ObjectNotFoundError,
  ObjectStore,
  ObjectUpload,
  UploadClosedError,
  UploadNotFoundError,
} from "./object-store";

export interface S3Location {
  bucket: string;
  /** Prepended to every key; empty or ending in "/". */
  prefix: string;
}

export interface S3StoreOptions {
  /** Bytes an upload buffers before they leave the process as an immutable chunk object. */
  chunkBytes?: number;
  /** Part size when chunks are assembled into the final object (S3's minimum part is 5 MiB). */
  partBytes?: number;
}

export class ObjectStoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ObjectStoreUnavailableError";
  }
}

/** Two 8 KiB ingest segments: a live call reaches the bucket every ~4 s, so a crash loses no more than that. */
const DEFAULT_CHUNK_BYTES = 16 * 1024;
const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
const MIN_S3_PART_BYTES = 5 * 1024 * 1024;
/** Where unfinished uploads live; "." cannot start a valid key, so no object can collide with them. */
const UPLOADS_AREA = ".uploads/";
const CHUNK_NAME_DIGITS = 8;
/** Requests an upload keeps in flight when it fetches or deletes its chunks. */
const CONCURRENT_REQUESTS = 8;

/**
 * An ObjectStore in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, s3rver).
 *
 * An upload leaves the process as it is written: every `chunkBytes` become an immutable object under
 * `<prefix>.uploads/<uploadId>/`, so a two-hour call holds at most one chunk in memory and a crash loses
 * at most one chunk. `commit` assembles the chunks into the final object (one PutObject, or a multipart
 * upload of `partBytes` parts read back chunk by chunk) and removes them. Keeping unfinished uploads as
 * plain objects, rather than multipart uploads open for the whole call, means they can be listed, read
 * back (resumable ingest), dated and deleted with the same few calls every S3-compatible server supports.
 * A multipart upload is only open during `commit`; one a crash interrupts there is what the bucket's
 * AbortIncompleteMultipartUpload lifecycle rule is for (see the README).
 */
export class S3ObjectStore implements ObjectStore {
  private readonly chunkBytes: number;
  private readonly partBytes: number;

  constructor(
    private readonly client: S3Client,
    private readonly location: S3Location,
    options: S3StoreOptions = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.partBytes = Math.max(options.partBytes ?? DEFAULT_PART_BYTES, MIN_S3_PART_BYTES);
  }

  /** Refuses to start on a bucket that is missing, unreachable or not ours to use. */
  async assertReachable(): Promise<void> {
    const { bucket } = this.location;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const status = (error as S3ServiceException)?.$metadata?.httpStatusCode;
      if (status === 404) throw new ObjectStoreUnavailableError(`MEDIA_STORE_URL: bucket "${bucket}" does not exist (create it, or fix MEDIA_STORE_URL / AWS_ENDPOINT_URL_S3)`);
      if (status === 403 || status === 401) throw new ObjectStoreUnavailableError(`MEDIA_STORE_URL: access to bucket "${bucket}" was denied (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy)`);
      const reason = error instanceof Error ? error.message || error.name : String(error);
      throw new ObjectStoreUnavailableError(`MEDIA_STORE_URL: bucket "${bucket}" is not reachable (${reason}); check AWS_ENDPOINT_URL_S3, AWS_REGION and the network`);
    }
  }

  async beginUpload(key: string): Promise<ObjectUpload> {
    assertValidObjectKey(key);
    return new S3Upload(this, key, randomUUID(), this.chunkBytes);
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertValidObjectKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.fullKey(key) }));
      return { key, size: Number(head.ContentLength ?? 0), lastModified: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async readRange(key: string, start: number, endExclusive: number): Promise<Uint8Array> {
    assertValidObjectKey(key);
    assertValidByteRange(start, endExclusive);
    if (endExclusive === start) {
      if (!(await this.stat(key))) throw new ObjectNotFoundError(key);
      return new Uint8Array(0);
    }
    try {
      return await this.getBytes(this.fullKey(key), `bytes=${start}-${endExclusive - 1}`);
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      // A range starting at or past the end: the object exists and has nothing there.
      if ((error as S3ServiceException)?.$metadata?.httpStatusCode === 416) return new Uint8Array(0);
      throw error;
    }
  }

  async delete(key: string): Promise<boolean> {
    if (!(await this.stat(key))) return false;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.fullKey(key) }));
    return true;
  }

  async *list(prefix = ""): AsyncIterable<ObjectInfo> {
    for await (const object of this.listRaw(this.location.prefix + prefix)) {
      const key = object.key.slice(this.location.prefix.length);
      // Unfinished uploads (".uploads/…") are not objects.
      if (isValidObjectKey(key)) yield { ...object, key };
    }
  }

  async abortStaleUploads(olderThan: Date, keep: ReadonlySet<string> = new Set()): Promise<number> {
    let removed = 0;
    for await (const uploadId of this.listUploadIds()) {
      if (keep.has(uploadId)) continue;
      const last = await this.lastChunk(uploadId);
      if (last && last.lastModified >= olderThan) continue;
      if (await this.discardUpload(uploadId)) removed++;
    }
    return removed;
  }

  async *readUpload(uploadId: string): AsyncIterable<Uint8Array> {
    assertValidUploadId(uploadId);
    for (let index = 0; ; index++) {
      let bytes: Uint8Array;
      try {
        bytes = await this.getBytes(this.chunkKey(uploadId, index));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        if (index === 0) throw new UploadNotFoundError(uploadId);
        return;
      }
      yield bytes;
    }
  }

  /** Chunks are found by index, not by listing: an upload may hold thousands and listings page at 1000. */
  async discardUpload(uploadId: string): Promise<boolean> {
    assertValidUploadId(uploadId);
    let index = 0;
    while (await this.headRaw(this.chunkKey(uploadId, index))) await this.deleteRaw(this.chunkKey(uploadId, index++));
    return index > 0;
  }

  /** @internal for S3Upload: removes chunks 0 … count−1 of an upload, a few requests at a time. */
  async deleteChunks(uploadId: string, count: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < count) await this.deleteRaw(this.chunkKey(uploadId, next++));
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_REQUESTS, count) }, worker));
  }

  /** @internal for S3Upload */
  async putChunk(uploadId: string, index: number, bytes: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.location.bucket, Key: this.chunkKey(uploadId, index), Body: bytes, ContentLength: bytes.length }));
  }

  /**
   * @internal for S3Upload. Publishes the chunks (then `tail`) under `key`. Memory stays under one part:
   * chunks are read back one at a time into the part being filled.
   */
  async assemble(key: string, uploadId: string, chunkCount: number, tail: Buffer, totalBytes: number): Promise<void> {
    const Bucket = this.location.bucket;
    const Key = this.fullKey(key);
    // A few chunks are fetched ahead (in order): a two-hour call has ~1,800 and one round trip each adds up.
    const pieces = async function* (store: S3ObjectStore): AsyncGenerator<Buffer> {
      const ahead: Promise<Uint8Array>[] = [];
      for (let index = 0; index < chunkCount || ahead.length > 0; ) {
        while (index < chunkCount && ahead.length < CONCURRENT_REQUESTS) ahead.push(store.getBytes(store.chunkKey(uploadId, index++)));
        yield Buffer.from(await ahead.shift()!);
      }
      if (tail.length > 0) yield tail;
    };
    if (totalBytes <= this.partBytes) {
      const whole: Buffer[] = [];
      for await (const piece of pieces(this)) whole.push(piece);
      const body = Buffer.concat(whole);
      await this.client.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.length }));
      return;
    }
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    try {
      const parts: { ETag: string | undefined; PartNumber: number }[] = [];
      let part: Buffer[] = [];
      let partBytes = 0;
      const flush = async () => {
        const body = Buffer.concat(part);
        const PartNumber = parts.length + 1;
        const { ETag } = await this.client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body, ContentLength: body.length }));
        parts.push({ ETag, PartNumber });
        part = [];
        partBytes = 0;
      };
      for await (const piece of pieces(this)) {
        part.push(piece);
        partBytes += piece.length;
        if (partBytes >= this.partBytes) await flush();
      }
      if (partBytes > 0) await flush();
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      // Servers without AbortMultipartUpload (s3rver) refuse; the lifecycle rule removes the parts then.
      await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
      throw error;
    }
  }

  /** The upload ids under the uploads area, one listing entry each (a delimiter folds their chunks). */
  private async *listUploadIds(): AsyncIterable<string> {
    const Prefix = this.uploadsPrefix();
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix, Delimiter: "/", ContinuationToken }));
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) yield common.Prefix.slice(Prefix.length, -1);
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** The newest chunk (the upload's last write), found by exponential then binary search over indexes. */
  private async lastChunk(uploadId: string): Promise<ObjectInfo | null> {
    const probe = (index: number) => this.headRaw(this.chunkKey(uploadId, index));
    let found = await probe(0);
    if (!found) return null;
    let low = 0;
    let high = 1;
    for (let next = await probe(high); next; next = await probe(high)) {
      found = next;
      low = high;
      high *= 2;
    }
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      const info = await probe(middle);
      if (info) {
        found = info;
        low = middle;
      } else high = middle;
    }
    return found;
  }

  private async headRaw(fullKey: string): Promise<ObjectInfo | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: fullKey }));
      return { key: fullKey, size: Number(head.ContentLength ?? 0), lastModified: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private async getBytes(fullKey: string, range?: string): Promise<Uint8Array> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: fullKey, Range: range }));
    return (await response.Body?.transformToByteArray()) ?? new Uint8Array(0);
  }

  private async deleteRaw(fullKey: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: fullKey }));
  }

  private async *listRaw(prefix: string): AsyncIterable<ObjectInfo> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, ContinuationToken }));
      for (const object of page.Contents ?? []) {
        if (object.Key) yield { key: object.Key, size: Number(object.Size ?? 0), lastModified: object.LastModified ?? new Date(0) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  private fullKey(key: string): string {
    return this.location.prefix + key;
  }

  private uploadsPrefix(): string {
    return this.location.prefix + UPLOADS_AREA;
  }

  private chunkKey(uploadId: string, index: number): string {
    return `${this.uploadsPrefix()}${uploadId}/${String(index).padStart(CHUNK_NAME_DIGITS, "0")}`;
  }
}

/** Writes go out in call order; at most one chunk is buffered (plus the one being sent). */
class S3Upload implements ObjectUpload {
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private closed = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private chunkCount = 0;
  private totalBytes = 0;

  constructor(
    private readonly store: S3ObjectStore,
    readonly key: string,
    readonly uploadId: string,
    private readonly chunkBytes: number,
  ) {}

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new UploadClosedError(this.key));
    // Copied because callers may reuse their buffer before the queued write runs.
    this.pending.push(Buffer.from(bytes));
    this.pendingBytes += bytes.length;
    this.totalBytes += bytes.length;
    if (this.pendingBytes < this.chunkBytes) return this.queue;
    const chunk = this.takePending();
    const index = this.chunkCount++;
    const written = this.queue.then(() => this.store.putChunk(this.uploadId, index, chunk));
    this.queue = written.catch((error: unknown) => {
      this.failure ??= error;
    });
    return written;
  }

  async commit(): Promise<ObjectInfo> {
    this.close();
    await this.queue;
    // A lost chunk would leave a hole; publishing would store a corrupt object.
    if (this.failure !== undefined) throw this.failure;
    await this.store.assemble(this.key, this.uploadId, this.chunkCount, this.takePending(), this.totalBytes);
    // Leftovers (a failed delete) are unknown uploads to the sweeper, removed after its grace period.
    await this.store.deleteChunks(this.uploadId, this.chunkCount).catch(() => undefined);
    const info = await this.store.stat(this.key);
    if (!info) throw new ObjectNotFoundError(this.key);
    return info;
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.close();
    this.takePending();
    await this.queue;
    await this.store.deleteChunks(this.uploadId, this.chunkCount);
  }

  private takePending(): Buffer {
    const chunk = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return chunk;
  }

  private close(): void {
    if (this.closed) throw new UploadClosedError(this.key);
    this.closed = true;
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as S3ServiceException;
  return e?.name === "NotFound" || e?.name === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404;
}
