import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EncryptedObjectReader, RangeNotSatisfiableError } from "../../src/storage/encrypted-object-reader";
import { EncryptedObjectWriter } from "../../src/storage/encrypted-object-writer";
import { FilesystemObjectStore } from "../../src/storage/filesystem-object-store";
import { InMemoryObjectStore } from "../../src/storage/in-memory-object-store";
import { HEADER_BYTES, ObjectIntegrityError, TAG_BYTES } from "../../src/storage/segment-format";
import { newContext, rawObject, readAllDecrypted, replaceRawObject, seededRandom, storeEncrypted } from "./support/encrypted-objects";

const SEGMENT = 1024; // small segments so tests cross many boundaries

async function readRange(reader: EncryptedObjectReader, start: number, endInclusive: number): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for await (const piece of reader.read({ start, endInclusive })) pieces.push(piece);
  return Buffer.concat(pieces);
}

describe("segmented AES-256-GCM recordings", () => {
  it.each([0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 10_000])("round-trips %i bytes", async (length) => {
    const store = new InMemoryObjectStore();
    const context = newContext();
    const plaintext = randomBytes(length);
    await storeEncrypted(store, "r", context, plaintext, SEGMENT);
    const segments = Math.max(1, Math.ceil(length / SEGMENT));
    expect((await store.stat("r"))?.size).toBe(HEADER_BYTES + length + segments * TAG_BYTES);
    expect((await readAllDecrypted(store, "r", context)).equals(plaintext)).toBe(true);
  });

  it("round-trips through the filesystem store with the default 64 KiB segments", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "callvault-enc-"));
    try {
      const store = new FilesystemObjectStore(root);
      const context = newContext();
      const plaintext = randomBytes(300_000);
      await storeEncrypted(store, "recordings/r1", context, plaintext);
      expect((await readAllDecrypted(store, "recordings/r1", context)).equals(plaintext)).toBe(true);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it("keeps segments in order when writes are not awaited one by one", async () => {
    const store = new InMemoryObjectStore();
    const context = newContext();
    const plaintext = randomBytes(20 * SEGMENT + 7);
    const writer = await EncryptedObjectWriter.begin(store, "r", context, SEGMENT);
    const writes: Promise<void>[] = [];
    for (let offset = 0; offset < plaintext.length; offset += 1500) writes.push(writer.write(plaintext.subarray(offset, offset + 1500)));
    const committed = writer.commit();
    await Promise.all(writes);
    await committed;
    expect((await readAllDecrypted(store, "r", context)).equals(plaintext)).toBe(true);
  });

  it("never writes plaintext to the store", async () => {
    const store = new InMemoryObjectStore();
    const marker = Buffer.from("4111 1111 1111 1111 ".repeat(20));
    const writer = await EncryptedObjectWriter.begin(store, "r", newContext(), SEGMENT);
    for (let i = 0; i < 20; i++) await writer.write(marker);
    await writer.commit();
    const stored = await rawObject(store, "r");
    expect(stored.includes(Buffer.from("4111 1111"))).toBe(false);
    expect(writer.writtenPlaintextBytes).toBe(20 * marker.length);
  });

  it("decrypts any plaintext range to exactly that slice of the plaintext", async () => {
    const store = new InMemoryObjectStore();
    const context = newContext();
    const plaintext = randomBytes(7 * SEGMENT + 333);
    await storeEncrypted(store, "r", context, plaintext, SEGMENT);
    const reader = await EncryptedObjectReader.open(store, "r", context);
    expect(reader.plaintextBytes).toBe(plaintext.length);

    const last = plaintext.length - 1;
    const edges = [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 2 * SEGMENT - 1, 7 * SEGMENT - 1, 7 * SEGMENT, last - 1, last];
    const ranges: [number, number][] = [];
    for (const start of edges) for (const end of edges) if (start <= end) ranges.push([start, end]);
    const random = seededRandom(7);
    for (let i = 0; i < 300; i++) {
      const a = Math.floor(random() * plaintext.length);
      const b = Math.floor(random() * plaintext.length);
      ranges.push([Math.min(a, b), Math.max(a, b)]);
    }
    for (const [start, end] of ranges) {
      const got = await readRange(reader, start, end);
      if (!got.equals(plaintext.subarray(start, end + 1))) throw new Error(`Range ${start}-${end} differs`);
    }
  });

  it("streams a large range in batches without reading segments outside it", async () => {
    const store = new InMemoryObjectStore();
    const context = newContext();
    const plaintext = randomBytes(40 * 64 * 1024 + 5);
    await storeEncrypted(store, "r", context, plaintext);
    const reader = await EncryptedObjectReader.open(store, "r", context);
    const reads: [number, number][] = [];
    const readRangeOriginal = store.readRange.bind(store);
    store.readRange = async (key, start, end) => {
      reads.push([start, end]);
      return readRangeOriginal(key, start, end);
    };
    const start = 3 * 65536 + 17;
    const end = 30 * 65536 + 5;
    expect((await readRange(reader, start, end)).equals(plaintext.subarray(start, end + 1))).toBe(true);
    const stride = 65536 + TAG_BYTES;
    expect(reads[0][0]).toBe(HEADER_BYTES + 3 * stride);
    expect(reads[reads.length - 1][1]).toBe(HEADER_BYTES + 31 * stride);
    expect(reads.length).toBe(2); // 28 segments in batches of 16
  });

  it.each([
    [-1, 5],
    [5, 4],
    [0, 7 * SEGMENT],
    [1.5, 3],
  ])("refuses the unsatisfiable range %p-%p", async (start, end) => {
    const store = new InMemoryObjectStore();
    const context = newContext();
    await storeEncrypted(store, "r", context, randomBytes(7 * SEGMENT), SEGMENT);
    const reader = await EncryptedObjectReader.open(store, "r", context);
    await expect(readRange(reader, start, end)).rejects.toBeInstanceOf(RangeNotSatisfiableError);
  });

  describe("detects tampering", () => {
    const context = newContext("rec-1");
    const plaintext = randomBytes(3 * SEGMENT + 100);
    let original: Buffer;

    beforeAll(async () => {
      const store = new InMemoryObjectStore();
      await storeEncrypted(store, "r", context, plaintext, SEGMENT);
      original = await rawObject(store, "r");
    });

    async function attempt(bytes: Uint8Array, readContext = context): Promise<unknown> {
      const store = new InMemoryObjectStore();
      await replaceRawObject(store, "r", bytes);
      return readAllDecrypted(store, "r", readContext).then(
        () => undefined,
        (error: unknown) => error,
      );
    }

    it("accepts the untouched object (the harness itself works)", async () => {
      expect(await attempt(original)).toBeUndefined();
    });

    it("in any single byte of header, ciphertext or tag", async () => {
      const undetected: number[] = [];
      for (let i = 0; i < original.length; i++) {
        const altered = Buffer.from(original);
        altered[i] ^= 0x40;
        if (!((await attempt(altered)) instanceof ObjectIntegrityError)) undetected.push(i);
      }
      expect(undetected).toEqual([]);
    });

    it("when two segments are swapped", async () => {
      const stride = SEGMENT + TAG_BYTES;
      const swapped = Buffer.from(original);
      original.copy(swapped, HEADER_BYTES, HEADER_BYTES + stride, HEADER_BYTES + 2 * stride);
      original.copy(swapped, HEADER_BYTES + stride, HEADER_BYTES, HEADER_BYTES + stride);
      expect(await attempt(swapped)).toBeInstanceOf(ObjectIntegrityError);
    });

    it("when a segment comes from another object, even one under the same data key and id", async () => {
      const store = new InMemoryObjectStore();
      await storeEncrypted(store, "other", context, plaintext, SEGMENT);
      const other = await rawObject(store, "other");
      const spliced = Buffer.from(original);
      other.copy(spliced, HEADER_BYTES, HEADER_BYTES, HEADER_BYTES + SEGMENT + TAG_BYTES);
      expect(await attempt(spliced)).toBeInstanceOf(ObjectIntegrityError);
    });

    it("when the object is read as another recording's", async () => {
      expect(await attempt(original, { ...context, objectId: "rec-2" })).toBeInstanceOf(ObjectIntegrityError);
    });

    it("when truncated at a segment boundary, already on open, so no range of it is served", async () => {
      const store = new InMemoryObjectStore();
      await replaceRawObject(store, "r", original.subarray(0, HEADER_BYTES + 2 * (SEGMENT + TAG_BYTES)));
      await expect(EncryptedObjectReader.open(store, "r", context)).rejects.toBeInstanceOf(ObjectIntegrityError);
    });

    it.each([
      ["at a segment boundary (whole last segment removed)", (b: Buffer) => b.subarray(0, HEADER_BYTES + 3 * (SEGMENT + TAG_BYTES))],
      ["inside the last segment", (b: Buffer) => b.subarray(0, b.length - 1)],
      ["inside an earlier segment", (b: Buffer) => b.subarray(0, HEADER_BYTES + SEGMENT)],
      ["to the header alone", (b: Buffer) => b.subarray(0, HEADER_BYTES)],
      ["to nothing", () => Buffer.alloc(0)],
      ["by appending bytes", (b: Buffer) => Buffer.concat([b, Buffer.alloc(TAG_BYTES + 1)])],
    ])("when truncated or extended %s", async (_label, cut) => {
      expect(await attempt(cut(original))).toBeInstanceOf(ObjectIntegrityError);
    });
  });
});
