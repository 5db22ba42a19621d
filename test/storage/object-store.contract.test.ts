import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FilesystemObjectStore } from "../../src/storage/filesystem-object-store";
import { InMemoryObjectStore } from "../../src/storage/in-memory-object-store";
import { InvalidObjectKeyError, ObjectInfo, ObjectNotFoundError, ObjectStore, UploadClosedError, UploadNotFoundError } from "../../src/storage/object-store";
import { S3ObjectStore } from "../../src/storage/s3-object-store";
import { openObjectStore } from "../../src/storage/open-object-store";
import { startS3Server, TestS3Server } from "../support/s3-server";

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3.close());

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of iterable) keys.push(info.key);
  return keys.sort();
}

async function collectUpload(store: ObjectStore, uploadId: string): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for await (const piece of store.readUpload(uploadId)) pieces.push(piece);
  return Buffer.concat(pieces);
}

async function put(store: ObjectStore, key: string, text: string): Promise<ObjectInfo> {
  const upload = await store.beginUpload(key);
  await upload.write(Buffer.from(text));
  return upload.commit();
}

async function read(store: ObjectStore, key: string): Promise<string> {
  const info = await store.stat(key);
  return Buffer.from(await store.readRange(key, 0, info?.size ?? 0)).toString();
}

const stores: [string, () => Promise<{ store: ObjectStore; cleanup: () => Promise<void> }>][] = [
  [
    "FilesystemObjectStore",
    async () => {
      const root = await fs.mkdtemp(path.join(os.tmpdir(), "callvault-store-"));
      return { store: new FilesystemObjectStore(root), cleanup: () => fs.rm(root, { recursive: true, force: true }) };
    },
  ],
  ["InMemoryObjectStore", async () => ({ store: new InMemoryObjectStore(), cleanup: async () => undefined })],
  [
    // Tiny chunks, so that even these short uploads leave the process before commit, as a long call's do.
    "S3ObjectStore (s3rver)",
    async () => {
      const client = s3.client();
      const store = new S3ObjectStore(client, { bucket: await s3.createBucket(), prefix: "tenant/media/" }, { chunkBytes: 4 });
      return { store, cleanup: async () => client.destroy() };
    },
  ],
];

describe.each(stores)("%s", (_name, create) => {
  let store: ObjectStore;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ store, cleanup } = await create());
  });
  afterEach(() => cleanup());

  it("publishes an upload only when it is committed", async () => {
    const upload = await store.beginUpload("recordings/r1.mp3.enc");
    await upload.write(Buffer.from("hello "));
    await upload.write(Buffer.from("world"));
    expect(await store.stat("recordings/r1.mp3.enc")).toBeNull();
    await expect(store.readRange("recordings/r1.mp3.enc", 0, 5)).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await collect(store.list())).toEqual([]);

    const info = await upload.commit();
    expect({ key: info.key, size: info.size }).toEqual({ key: "recordings/r1.mp3.enc", size: 11 });
    // Compared as a number: fs.Stats dates come from another realm than jest's Date.
    expect(Math.abs(info.lastModified.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await read(store, "recordings/r1.mp3.enc")).toBe("hello world");
  });

  it("keeps writes in call order even when they are not awaited one by one", async () => {
    const upload = await store.beginUpload("ordered");
    const pieces = Array.from({ length: 50 }, (_, i) => `${i},`);
    await Promise.all(pieces.map((piece) => upload.write(Buffer.from(piece))));
    await upload.commit();
    expect(await read(store, "ordered")).toBe(pieces.join(""));
  });

  it("copies written bytes, so a caller may reuse its buffer", async () => {
    const upload = await store.beginUpload("copied");
    const buffer = Buffer.from("first");
    const written = upload.write(buffer);
    buffer.write("XXXXX");
    await written;
    await upload.commit();
    expect(await read(store, "copied")).toBe("first");
  });

  it("leaves nothing behind when an upload is aborted, and keeps the previous object", async () => {
    await put(store, "a/b", "old");
    const upload = await store.beginUpload("a/b");
    await upload.write(Buffer.from("new and partial"));
    await upload.abort();
    expect(await read(store, "a/b")).toBe("old");
    expect(await store.abortStaleUploads(new Date(Date.now() + 60_000))).toBe(0);
  });

  it("replaces an object on commit, the old one staying readable until then", async () => {
    await put(store, "k", "old");
    const upload = await store.beginUpload("k");
    await upload.write(Buffer.from("new"));
    expect(await read(store, "k")).toBe("old");
    await upload.commit();
    expect(await read(store, "k")).toBe("new");
  });

  it("refuses to write to a finished upload", async () => {
    const upload = await store.beginUpload("k");
    await upload.commit();
    await expect(upload.write(Buffer.from("late"))).rejects.toBeInstanceOf(UploadClosedError);
    await expect(upload.commit()).rejects.toBeInstanceOf(UploadClosedError);
  });

  it("reads byte ranges, short at the end of the object", async () => {
    await put(store, "range", "0123456789");
    expect(Buffer.from(await store.readRange("range", 2, 5)).toString()).toBe("234");
    expect(Buffer.from(await store.readRange("range", 8, 100)).toString()).toBe("89");
    expect(Buffer.from(await store.readRange("range", 10, 12)).toString()).toBe("");
    await expect(store.readRange("range", -1, 2)).rejects.toBeInstanceOf(RangeError);
    await expect(store.readRange("range", 5, 4)).rejects.toBeInstanceOf(RangeError);
  });

  it("deletes objects and says whether there was one", async () => {
    await put(store, "gone", "x");
    expect(await store.delete("gone")).toBe(true);
    expect(await store.stat("gone")).toBeNull();
    expect(await store.delete("gone")).toBe(false);
  });

  it("lists committed objects by prefix for the sweeper", async () => {
    await put(store, "recordings/2024/a", "1");
    await put(store, "recordings/2024/b", "22");
    await put(store, "recordings/2025/c", "333");
    await put(store, "other", "4");
    expect(await collect(store.list())).toEqual(["other", "recordings/2024/a", "recordings/2024/b", "recordings/2025/c"]);
    expect(await collect(store.list("recordings/2024/"))).toEqual(["recordings/2024/a", "recordings/2024/b"]);
    expect(await collect(store.list("recordings/202"))).toEqual(["recordings/2024/a", "recordings/2024/b", "recordings/2025/c"]);
    expect(await collect(store.list("recordings/2024/b"))).toEqual(["recordings/2024/b"]);
    expect(await collect(store.list("../"))).toEqual([]);
    expect(await collect(store.list("nothing/"))).toEqual([]);
  });

  it.each(["", "/abs", "../escape", "a/../b", ".hidden", "a/.hidden", "a//b", "a/", "space here", "x".repeat(513)].map((key) => [key.length > 40 ? `${key.length} characters` : JSON.stringify(key), key]))(
    "rejects the key %s",
    async (_label, key) => {
      await expect(store.beginUpload(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
      await expect(store.stat(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
      await expect(store.readRange(key, 0, 1)).rejects.toBeInstanceOf(InvalidObjectKeyError);
      await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    },
  );

  it("reads back what an unfinished upload holds, and discards it by id", async () => {
    const upload = await store.beginUpload("recordings/r9");
    await upload.write(Buffer.from("before "));
    await upload.write(Buffer.from("the crash"));
    const pieces: Uint8Array[] = [];
    for await (const piece of store.readUpload(upload.uploadId)) pieces.push(piece);
    // What is durable is a prefix of what was written (an S3 upload holds back less than one chunk).
    const durable = Buffer.concat(pieces).toString();
    expect("before the crash".startsWith(durable)).toBe(true);
    expect(durable.length).toBeGreaterThanOrEqual("before the crash".length - 4);
    expect(await store.discardUpload(upload.uploadId)).toBe(true);
    expect(await store.discardUpload(upload.uploadId)).toBe(false);
    await expect(collectUpload(store, upload.uploadId)).rejects.toBeInstanceOf(UploadNotFoundError);
    await expect(collectUpload(store, "../escape")).rejects.toBeInstanceOf(UploadNotFoundError);
    expect(await store.stat("recordings/r9")).toBeNull();
  });

  it("keeps stale uploads that are on the keep list", async () => {
    const kept = await store.beginUpload("kept");
    await kept.write(Buffer.from("resumable"));
    expect(await store.abortStaleUploads(new Date(Date.now() + 5_000), new Set([kept.uploadId]))).toBe(0);
    expect((await collectUpload(store, kept.uploadId)).length).toBeGreaterThan(0);
  });

  it("discards uploads abandoned before a cut-off (a crashed process), but not newer ones", async () => {
    const abandoned = await store.beginUpload("crashed");
    await abandoned.write(Buffer.from("partial"));
    const cutOff = new Date(Date.now() + 5_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await store.abortStaleUploads(new Date(Date.now() - 60_000))).toBe(0);
    expect(await store.abortStaleUploads(cutOff)).toBe(1);
    expect(await store.stat("crashed")).toBeNull();
    expect(await collect(store.list())).toEqual([]);
  });
});

describe("FilesystemObjectStore on disk", () => {
  it("never shows a partial object under its key, only a file in uploads/", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "callvault-store-"));
    try {
      const store = new FilesystemObjectStore(root);
      const upload = await store.beginUpload("recordings/r1");
      await upload.write(Buffer.from("partial"));
      await expect(fs.stat(path.join(root, "objects", "recordings", "r1"))).rejects.toMatchObject({ code: "ENOENT" });
      expect(await fs.readdir(path.join(root, "uploads"))).toHaveLength(1);
      await upload.commit();
      expect(await fs.readFile(path.join(root, "objects", "recordings", "r1"), "utf8")).toBe("partial");
      expect(await fs.readdir(path.join(root, "uploads"))).toEqual([]);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

describe("S3ObjectStore at start", () => {
  it("stops the start on a missing bucket, naming MEDIA_STORE_URL", async () => {
    await expect(openObjectStore(s3.storeConfig("no-such-bucket-here"))).rejects.toThrow(/MEDIA_STORE_URL: bucket "no-such-bucket-here" does not exist/);
  });

  it("stops the start on an unreachable endpoint", async () => {
    const config = { ...s3.storeConfig("any-bucket"), endpoint: "http://127.0.0.1:9" };
    await expect(openObjectStore(config)).rejects.toThrow(/MEDIA_STORE_URL: bucket "any-bucket" is not reachable/);
  }, 30_000);

  it("assembles a large upload as a multipart upload, part by part, and serves ranges of it", async () => {
    const client = s3.client();
    try {
      const bucket = await s3.createBucket();
      const store = new S3ObjectStore(client, { bucket, prefix: "" }, { chunkBytes: 256 * 1024, partBytes: 5 * 1024 * 1024 });
      const upload = await store.beginUpload("big");
      const block = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < 11; i++) await upload.write(block.fill(i));
      const info = await upload.commit();
      expect(info.size).toBe(11 * 1024 * 1024);
      expect(Buffer.from(await store.readRange("big", 10 * 1024 * 1024 - 2, 10 * 1024 * 1024 + 2))).toEqual(Buffer.from([9, 9, 10, 10]));
      // The chunks are gone once assembled.
      expect(await store.abortStaleUploads(new Date(Date.now() + 60_000))).toBe(0);
    } finally {
      client.destroy();
    }
  });
});
