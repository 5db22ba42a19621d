import { randomBytes } from "node:crypto";
import { EncryptedObjectReader } from "../../src/storage/encrypted-object-reader";
import { generateDataKey, KeyUnwrapError, MasterKey, unwrapKey, wrapKey } from "../../src/storage/envelope-keys";
import { InMemoryObjectStore } from "../../src/storage/in-memory-object-store";
import { ObjectIntegrityError } from "../../src/storage/segment-format";
import { rawObject, replaceRawObject, storeEncrypted } from "./support/encrypted-objects";

/**
 * Deleting a recording destroys its wrapped data key (a database row) and its object. A backup copy
 * of the object must then be useless to someone who still holds the master key.
 */
describe("crypto-shredding", () => {
  const masterKey = MasterKey.fromBase64(randomBytes(32).toString("base64"));
  const plaintext = Buffer.from("ID3 fake mp3 with card number 4111 1111 1111 1111 ".repeat(2000));

  async function recordAndBackUp(recordingId: string) {
    const store = new InMemoryObjectStore();
    const dataKey = generateDataKey();
    const wrappedKey = wrapKey(dataKey, masterKey, recordingId);
    await storeEncrypted(store, `recordings/${recordingId}`, { dataKey, objectId: recordingId }, plaintext);
    const backup = await rawObject(store, `recordings/${recordingId}`);
    const keyMaterial = [Buffer.from(dataKey), Buffer.from(wrappedKey, "base64"), Buffer.from(wrappedKey)];
    dataKey.fill(0); // only the wrapped key survives the write
    return { store, wrappedKey, backup, keyMaterial };
  }

  async function openBackup(backup: Buffer, recordingId: string, dataKey: Uint8Array): Promise<Buffer> {
    const restored = new InMemoryObjectStore();
    await replaceRawObject(restored, `recordings/${recordingId}`, backup);
    return (await EncryptedObjectReader.open(restored, `recordings/${recordingId}`, { dataKey, objectId: recordingId })).readAll();
  }

  it("reads the backup while the wrapped key exists (the test can tell success from failure)", async () => {
    const { wrappedKey, backup } = await recordAndBackUp("rec-1");
    expect((await openBackup(backup, "rec-1", unwrapKey(wrappedKey, masterKey, "rec-1"))).equals(plaintext)).toBe(true);
  });

  it("leaves the backup unreadable with the master key alone once the wrapped key is destroyed", async () => {
    const { store, backup, keyMaterial } = await recordAndBackUp("rec-1");
    // Deletion: the wrapped key row is gone (never kept here) and the object is deleted.
    expect(await store.delete("recordings/rec-1")).toBe(true);

    // Nothing in the object lets the master key in: neither the data key nor its wrapped form is stored there.
    for (const secret of [...keyMaterial, masterKey.bytes]) expect(backup.includes(secret)).toBe(false);
    // The master key itself, or a data key of another recording it still unwraps, opens nothing.
    await expect(openBackup(backup, "rec-1", masterKey.bytes)).rejects.toBeInstanceOf(ObjectIntegrityError);
    const other = await recordAndBackUp("rec-2");
    const otherKey = unwrapKey(other.wrappedKey, masterKey, "rec-2");
    await expect(openBackup(backup, "rec-1", otherKey)).rejects.toBeInstanceOf(ObjectIntegrityError);
    // Nor can another recording's surviving wrapped key be passed off as this one's.
    expect(() => unwrapKey(other.wrappedKey, masterKey, "rec-1")).toThrow(KeyUnwrapError);
  });

  it("stores no recognisable plaintext in the backup", async () => {
    const { backup } = await recordAndBackUp("rec-1");
    // Needles long enough that random ciphertext cannot contain them by chance (a 3-byte "ID3"
    // turns up in ~0.6 % of 100 KB ciphertexts).
    expect(backup.includes(Buffer.from("card number 4111 1111"))).toBe(false);
    expect(backup.includes(Buffer.from("ID3 fake mp3"))).toBe(false);
  });
});
