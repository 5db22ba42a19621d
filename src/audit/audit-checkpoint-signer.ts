import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from "node:crypto";
import { stableStringify } from "../common/stable-json";

export const CHECKPOINT_ALGORITHM = "Ed25519";

/** What a checkpoint signs; the offline verifier rebuilds the same bytes from an export. */
export interface CheckpointClaim {
  position: number;
  hash: string;
  signedAt: Date | string;
}

export interface SignedCheckpoint extends CheckpointClaim {
  algorithm: string;
  keyId: string;
  signature: string;
}

const DOMAIN = "callvault-audit-checkpoint:v1\n";
// DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) and public key (SPKI).
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export function checkpointMessage(claim: CheckpointClaim): Buffer {
  const signedAt = typeof claim.signedAt === "string" ? claim.signedAt : claim.signedAt.toISOString();
  return Buffer.from(DOMAIN + stableStringify({ position: claim.position, hash: claim.hash, signedAt }), "utf8");
}

export const keyIdOf = (publicKeyRaw: Buffer) => createHash("sha256").update(publicKeyRaw).digest("hex").slice(0, 16);

export function publicKeyFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new Error("an Ed25519 public key is 32 bytes");
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: "der", type: "spki" });
}

/** True when the signature is the given key's over the checkpoint's claim. */
export function verifyCheckpointSignature(checkpoint: SignedCheckpoint, publicKeyRaw: Buffer): boolean {
  if (checkpoint.algorithm !== CHECKPOINT_ALGORITHM || checkpoint.keyId !== keyIdOf(publicKeyRaw)) return false;
  try {
    return verify(null, checkpointMessage(checkpoint), publicKeyFromRaw(publicKeyRaw), Buffer.from(checkpoint.signature, "base64url"));
  } catch {
    return false;
  }
}

/**
 * Signs checkpoints with Ed25519, so anyone holding the public key can check them without the secret: the
 * seed is configured (AUDIT_CHECKPOINT_KEY) or derived from the master key with HKDF (the master key never signs).
 */
export class AuditCheckpointSigner {
  readonly publicKeyRaw: Buffer;
  readonly keyId: string;

  private constructor(private readonly privateKey: KeyObject) {
    const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
    this.publicKeyRaw = spki.subarray(spki.length - 32);
    this.keyId = keyIdOf(this.publicKeyRaw);
  }

  static fromSeed(seed: Buffer): AuditCheckpointSigner {
    if (seed.length !== 32) throw new Error("an Ed25519 seed is 32 bytes");
    return new AuditCheckpointSigner(createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" }));
  }

  get publicKeyBase64(): string {
    return this.publicKeyRaw.toString("base64");
  }

  sign(claim: CheckpointClaim): SignedCheckpoint {
    const signature = sign(null, checkpointMessage(claim), this.privateKey).toString("base64url");
    return { ...claim, algorithm: CHECKPOINT_ALGORITHM, keyId: this.keyId, signature };
  }

  verify(checkpoint: SignedCheckpoint): boolean {
    return verifyCheckpointSignature(checkpoint, this.publicKeyRaw);
  }
}
