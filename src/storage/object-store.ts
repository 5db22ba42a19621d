/**
 * Where recording ciphertext lives: the filesystem, memory, or an S3-compatible bucket (s3-object-store.ts).
 * An upload is durable as it is written (a long call never sits in memory) but invisible until `commit`;
 * an unfinished upload has an id, so a process that outlives the writer can read it back or discard it.
 */
export interface ObjectStore {
  /** Starts writing `key`; nothing is visible under `key` until `commit`. */
  beginUpload(key: string): Promise<ObjectUpload>;
  /** Null when there is no object under `key`. */
  stat(key: string): Promise<ObjectInfo | null>;
  /** Bytes [start, endExclusive), fewer if the object is shorter; rejects with ObjectNotFoundError. */
  readRange(key: string, start: number, endExclusive: number): Promise<Uint8Array>;
  /** True when an object was removed, false when there was none. */
  delete(key: string): Promise<boolean>;
  /** Committed objects whose key starts with `prefix`, in no guaranteed order. */
  list(prefix?: string): AsyncIterable<ObjectInfo>;
  /**
   * Discards uploads never committed nor aborted (a crashed process) last written before `olderThan`,
   * except those in `keep` (uploads a database row still accounts for).
   */
  abortStaleUploads(olderThan: Date, keep?: ReadonlySet<string>): Promise<number>;
  /** The bytes durably written so far to an unfinished upload, in order; rejects with UploadNotFoundError. */
  readUpload(uploadId: string): AsyncIterable<Uint8Array>;
  /** Discards an unfinished upload by id (its writer died); false when there was none. */
  discardUpload(uploadId: string): Promise<boolean>;
}

export interface ObjectUpload {
  readonly key: string;
  /** Names the unfinished upload for readUpload / discardUpload / abortStaleUploads' keep list. */
  readonly uploadId: string;
  /** Appends bytes in call order (concurrent calls are queued). */
  write(bytes: Uint8Array): Promise<void>;
  /** Durably and atomically publishes the bytes under the key, replacing any previous object. */
  commit(): Promise<ObjectInfo>;
  /** Discards what was written; the key keeps whatever it had before. */
  abort(): Promise<void>;
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No stored object "${key}"`);
    this.name = "ObjectNotFoundError";
  }
}

export class InvalidObjectKeyError extends Error {
  constructor(readonly key: string) {
    super(`Invalid object key "${key}"`);
    this.name = "InvalidObjectKeyError";
  }
}

export class UploadNotFoundError extends Error {
  constructor(readonly uploadId: string) {
    super(`No unfinished upload "${uploadId}"`);
    this.name = "UploadNotFoundError";
  }
}

const UPLOAD_ID = /^[A-Za-z0-9-]{1,64}$/;

export function assertValidUploadId(uploadId: string): void {
  if (typeof uploadId !== "string" || !UPLOAD_ID.test(uploadId)) throw new UploadNotFoundError(String(uploadId));
}

export class UploadClosedError extends Error {
  constructor(readonly key: string) {
    super(`Upload of "${key}" was already committed or aborted`);
    this.name = "UploadClosedError";
  }
}

const KEY_SEGMENT = "[A-Za-z0-9][A-Za-z0-9._-]*";
const VALID_KEY = new RegExp(`^${KEY_SEGMENT}(/${KEY_SEGMENT})*$`);
const MAX_KEY_LENGTH = 512;

/** Keys are `/`-separated segments that cannot start with a dot, so no key escapes the store's root. */
export function isValidObjectKey(key: string): boolean {
  return typeof key === "string" && key.length <= MAX_KEY_LENGTH && VALID_KEY.test(key);
}

export function assertValidObjectKey(key: string): void {
  if (!isValidObjectKey(key)) throw new InvalidObjectKeyError(key);
}

export function assertValidByteRange(start: number, endExclusive: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endExclusive) || start < 0 || endExclusive < start) {
    throw new RangeError(`Invalid byte range [${start}, ${endExclusive})`);
  }
}
