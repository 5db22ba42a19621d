import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { generateDataKey, InvalidMasterKeyError, KeyUnwrapError, MasterKey, unwrapKey, wrapKey } from "../../src/storage/envelope-keys";

const masterKey = MasterKey.fromBase64(randomBytes(32).toString("base64"));

describe("envelope keys", () => {
  it("wraps and unwraps a recording's data key", () => {
    const dataKey = generateDataKey();
    expect(dataKey).toHaveLength(32);
    const wrapped = wrapKey(dataKey, masterKey, "rec-1");
    expect(Buffer.from(wrapped, "base64")).toHaveLength(61);
    expect(unwrapKey(wrapped, masterKey, "rec-1").equals(dataKey)).toBe(true);
  });

  it("gives every recording a different data key and every wrap a fresh nonce", () => {
    const dataKey = generateDataKey();
    expect(generateDataKey().equals(dataKey)).toBe(false);
    expect(wrapKey(dataKey, masterKey, "rec-1")).not.toBe(wrapKey(dataKey, masterKey, "rec-1"));
  });

  it("refuses another master key, another recording, or any altered byte", () => {
    const wrapped = wrapKey(generateDataKey(), masterKey, "rec-1");
    const otherMaster = MasterKey.fromBase64(randomBytes(32).toString("base64"));
    expect(() => unwrapKey(wrapped, otherMaster, "rec-1")).toThrow(KeyUnwrapError);
    expect(() => unwrapKey(wrapped, masterKey, "rec-2")).toThrow(KeyUnwrapError);
    const bytes = Buffer.from(wrapped, "base64");
    for (let i = 0; i < bytes.length; i++) {
      const altered = Buffer.from(bytes);
      altered[i] ^= 0x01;
      expect(() => unwrapKey(altered.toString("base64"), masterKey, "rec-1")).toThrow(KeyUnwrapError);
    }
    expect(() => unwrapKey("", masterKey, "rec-1")).toThrow(KeyUnwrapError);
    expect(() => unwrapKey("not base64 at all!", masterKey, "rec-1")).toThrow(KeyUnwrapError);
  });

  it.each([
    ["31 bytes", randomBytes(31).toString("base64")],
    ["33 bytes", randomBytes(33).toString("base64")],
    ["not base64", "€".repeat(44)],
    ["empty", ""],
  ])("rejects a master key of %s", (_label, encoded) => {
    expect(() => MasterKey.fromBase64(encoded)).toThrow(InvalidMasterKeyError);
  });

  it("keeps the master key out of logs and JSON", () => {
    const encoded = randomBytes(32).toString("base64");
    const key = MasterKey.fromBase64(encoded);
    expect(JSON.stringify({ key })).not.toContain(encoded);
    expect(inspect({ key })).toBe("{ key: [MasterKey] }");
  });

  it("refuses a data key of the wrong length", () => {
    expect(() => wrapKey(randomBytes(16), masterKey, "rec-1")).toThrow(RangeError);
  });
});
