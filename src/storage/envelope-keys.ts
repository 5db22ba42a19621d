import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { inspect } from "node:util";

/**
 * Envelope encryption: every recording's audio is encrypted with its own random data key, and only
 * the data key wrapped by the configured master key is persisted (next to the recording, never in
 * the audio object). Destroying the wrapped data key makes every copy of the audio unreadable,
 * including copies in backups, while the master key stays in service for all other recordings.
 *
 * Wrapped key (base64 of 61 bytes): version 0x01 | 12-byte random nonce | 32-byte AES-256-GCM
 * ciphertext of the data key | 16-byte tag. AAD binds it to its recording id, so a wrapped key
 * copied onto another recording does not unwrap.
 */

export const DATA_KEY_BYTES = 32;
const MASTER_KEY_BYTES = 32;
const WRAP_VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const WRAPPED_BYTES = 1 + NONCE_BYTES + DATA_KEY_BYTES + TAG_BYTES;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The key-encryption key; opaque so it is not passed where a data key belongs by accident. */
export class MasterKey {
  private constructor(readonly bytes: Buffer) {}

  /** Parses the configured master key: exactly 32 bytes, standard base64. */
  static fromBase64(encoded: string): MasterKey {
    const trimmed = encoded.trim();
    const bytes = STRICT_BASE64.test(trimmed) ? Buffer.from(trimmed, "base64") : Buffer.alloc(0);
    if (bytes.length !== MASTER_KEY_BYTES) throw new InvalidMasterKeyError();
    return new MasterKey(bytes);
  }

  // Keeps the key out of logs and serialised config dumps.
  toJSON(): string {
    return "[MasterKey]";
  }

  [inspect.custom](): string {
    return "[MasterKey]";
  }
}

export class InvalidMasterKeyError extends Error {
  constructor() {
    super(`The master key must be ${MASTER_KEY_BYTES} bytes encoded as base64`);
    this.name = "InvalidMasterKeyError";
  }
}

/** The wrapped key is malformed, belongs to another recording, or was wrapped with another master key. */
export class KeyUnwrapError extends Error {
  constructor() {
    super("The data key could not be unwrapped");
    this.name = "KeyUnwrapError";
  }
}

export function generateDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}

function wrapAad(recordingId: string): Buffer {
  return Buffer.from(`callvault/data-key/v1\0${recordingId}`, "utf8");
}

export function wrapKey(dataKey: Uint8Array, masterKey: MasterKey, recordingId: string): string {
  if (dataKey.length !== DATA_KEY_BYTES) throw new RangeError(`A data key is ${DATA_KEY_BYTES} bytes`);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", masterKey.bytes, nonce);
  cipher.setAAD(wrapAad(recordingId));
  const ciphertext = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([Buffer.of(WRAP_VERSION), nonce, ciphertext, cipher.getAuthTag()]).toString("base64");
}

export function unwrapKey(wrapped: string, masterKey: MasterKey, recordingId: string): Buffer {
  const bytes = typeof wrapped === "string" && STRICT_BASE64.test(wrapped) ? Buffer.from(wrapped, "base64") : Buffer.alloc(0);
  if (bytes.length !== WRAPPED_BYTES || bytes[0] !== WRAP_VERSION) throw new KeyUnwrapError();
  const nonce = bytes.subarray(1, 1 + NONCE_BYTES);
  const ciphertext = bytes.subarray(1 + NONCE_BYTES, 1 + NONCE_BYTES + DATA_KEY_BYTES);
  const tag = bytes.subarray(WRAPPED_BYTES - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", masterKey.bytes, nonce);
    decipher.setAAD(wrapAad(recordingId));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new KeyUnwrapError();
  }
}
