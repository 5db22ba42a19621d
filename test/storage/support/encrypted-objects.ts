import { randomBytes } from "node:crypto";
import { EncryptedObjectReader } from "../../../src/storage/encrypted-object-reader";
import { EncryptedObjectWriter, EncryptionContext } from "../../../src/storage/encrypted-object-writer";
import { ObjectStore } from "../../../src/storage/object-store";

/** Deterministic pseudo-random generator so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function newContext(objectId = "rec-1"): EncryptionContext {
  return { dataKey: randomBytes(32), objectId };
}

/** Encrypts `plaintext` into `key`, fed in pieces of random size as an MP3 encoder would produce them. */
export async function storeEncrypted(
  store: ObjectStore,
  key: string,
  context: EncryptionContext,
  plaintext: Uint8Array,
  segmentBytes?: number,
  random = seededRandom(1),
): Promise<void> {
  const writer = await EncryptedObjectWriter.begin(store, key, context, segmentBytes);
  for (let offset = 0; offset < plaintext.length; ) {
    const piece = 1 + Math.floor(random() * 3000);
    await writer.write(plaintext.subarray(offset, offset + piece));
    offset += piece;
  }
  await writer.commit();
}

export async function readAllDecrypted(store: ObjectStore, key: string, context: EncryptionContext): Promise<Buffer> {
  return (await EncryptedObjectReader.open(store, key, context)).readAll();
}

export async function rawObject(store: ObjectStore, key: string): Promise<Buffer> {
  const info = await store.stat(key);
  return Buffer.from(await store.readRange(key, 0, info?.size ?? 0));
}

/** Overwrites an object with arbitrary bytes, as an attacker with storage access could. */
export async function replaceRawObject(store: ObjectStore, key: string, bytes: Uint8Array): Promise<void> {
  const upload = await store.beginUpload(key);
  await upload.write(bytes);
  await upload.commit();
}
