import { randomUUID } from "node:crypto";
import { Dirent, promises as fs } from "node:fs";
import path from "node:path";
import { assertValidByteRange, assertValidObjectKey, assertValidUploadId, isValidObjectKey, ObjectInfo, ObjectNotFoundError, ObjectStore, ObjectUpload, UploadClosedError, UploadNotFoundError } from "./object-store";

const UPLOAD_READ_BYTES = 1024 * 1024;

/**
 * Objects live under `<root>/objects/<key>`; uploads are written to `<root>/uploads/` and renamed into
 * place on commit, so a reader sees either nothing or the complete object, even across a crash.
 */
export class FilesystemObjectStore implements ObjectStore {
  private readonly objectsDir: string;
  private readonly uploadsDir: string;

  constructor(root: string) {
    this.objectsDir = path.join(root, "objects");
    this.uploadsDir = path.join(root, "uploads");
  }

  async beginUpload(key: string): Promise<ObjectUpload> {
    const target = this.objectPath(key);
    await fs.mkdir(this.uploadsDir, { recursive: true, mode: 0o700 });
    const uploadId = randomUUID();
    const temporary = this.uploadPath(uploadId);
    const handle = await fs.open(temporary, "wx", 0o600);
    return new FilesystemUpload(key, uploadId, handle, temporary, target);
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const stats = await fs.stat(this.objectPath(key));
      return { key, size: stats.size, lastModified: stats.mtime };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async readRange(key: string, start: number, endExclusive: number): Promise<Uint8Array> {
    assertValidByteRange(start, endExclusive);
    const length = Math.max(0, endExclusive - start);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.objectPath(key), "r");
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
    try {
      const buffer = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async delete(key: string): Promise<boolean> {
    return unlinkIfPresent(this.objectPath(key));
  }

  async *list(prefix = ""): AsyncIterable<ObjectInfo> {
    // Only the directory named by the prefix's complete segments can hold matching keys.
    const directoryPrefix = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/") + 1) : "";
    if (directoryPrefix !== "" && !isValidObjectKey(directoryPrefix.slice(0, -1))) return;
    const start = path.join(this.objectsDir, ...directoryPrefix.split("/").filter(Boolean));
    for await (const key of walkKeys(start, directoryPrefix)) {
      if (!key.startsWith(prefix)) continue;
      const info = await this.stat(key);
      if (info) yield info;
    }
  }

  async abortStaleUploads(olderThan: Date, keep: ReadonlySet<string> = new Set()): Promise<number> {
    let removed = 0;
    for (const entry of await readDirOrEmpty(this.uploadsDir)) {
      if (keep.has(entry.name.replace(/\.part$/, ""))) continue;
      const file = path.join(this.uploadsDir, entry.name);
      const stats = await fs.stat(file).catch(() => null);
      if (stats && stats.mtime < olderThan) {
        await fs.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  async *readUpload(uploadId: string): AsyncIterable<Uint8Array> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.uploadPath(uploadId), "r");
    } catch (error) {
      if (isNotFound(error)) throw new UploadNotFoundError(uploadId);
      throw error;
    }
    try {
      for (;;) {
        const buffer = Buffer.alloc(UPLOAD_READ_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length);
        if (bytesRead === 0) return;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }

  async discardUpload(uploadId: string): Promise<boolean> {
    return unlinkIfPresent(this.uploadPath(uploadId));
  }

  private uploadPath(uploadId: string): string {
    assertValidUploadId(uploadId);
    return path.join(this.uploadsDir, `${uploadId}.part`);
  }

  private objectPath(key: string): string {
    assertValidObjectKey(key);
    return path.join(this.objectsDir, ...key.split("/"));
  }
}

class FilesystemUpload implements ObjectUpload {
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private closed = false;

  constructor(
    readonly key: string,
    readonly uploadId: string,
    private readonly handle: fs.FileHandle,
    private readonly temporary: string,
    private readonly target: string,
  ) {}

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new UploadClosedError(this.key));
    // Copied because callers may reuse their buffer before the queued write runs.
    const copy = Uint8Array.from(bytes);
    const written = this.queue.then(() => writeFully(this.handle, copy));
    this.queue = written.catch((error: unknown) => {
      this.failure ??= error;
    });
    return written;
  }

  async commit(): Promise<ObjectInfo> {
    this.close();
    try {
      await this.queue;
      // A failed write leaves a hole; publishing would store a corrupt object.
      if (this.failure !== undefined) throw this.failure;
      await this.handle.sync();
      await this.handle.close();
      await fs.mkdir(path.dirname(this.target), { recursive: true, mode: 0o700 });
      await fs.rename(this.temporary, this.target);
    } catch (error) {
      await this.handle.close().catch(() => undefined);
      await fs.rm(this.temporary, { force: true });
      throw error;
    }
    await syncDirectory(path.dirname(this.target));
    const stats = await fs.stat(this.target);
    return { key: this.key, size: stats.size, lastModified: stats.mtime };
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.close();
    await this.queue;
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.temporary, { force: true });
  }

  private close(): void {
    if (this.closed) throw new UploadClosedError(this.key);
    this.closed = true;
  }
}

async function writeFully(handle: fs.FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

/** Makes the rename itself durable; some platforms cannot open directories, which is tolerated. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.open(directory, "r").catch(() => null);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

async function* walkKeys(directory: string, keyPrefix: string): AsyncIterable<string> {
  const entries = (await readDirOrEmpty(directory)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const key = keyPrefix + entry.name;
    if (entry.isDirectory()) yield* walkKeys(path.join(directory, entry.name), `${key}/`);
    else if (entry.isFile()) yield key;
  }
}

async function readDirOrEmpty(directory: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(directory, { withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

/** True when a file was removed, false when there was none. */
async function unlinkIfPresent(file: string): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === "ENOENT";
}
