import { createHmac, timingSafeEqual } from "node:crypto";

/** What a download link grants: one user, one recording, one version of its audio, until `expiresAt`. */
export interface DownloadGrant {
  recordingId: string;
  userId: string;
  /** The media generation the link was issued for: a redaction bumps it, so older links stop working. */
  generation: number;
  /** Whole seconds since the epoch. */
  expiresAtSeconds: number;
}

export type LinkCheck = { ok: true; grant: DownloadGrant } | { ok: false };

export const DOWNLOAD_PATH_PREFIX = "/downloads/recordings/";

/** The HKDF purpose of the signing secret: a leaked link key opens nothing else derived from the master key. */
export const DOWNLOAD_SECRET_PURPOSE = "download-url";

// Bounds on the query values: anything else is refused before any HMAC is computed.
const ID = /^[A-Za-z0-9-]{1,64}$/;
/** Canonical numbers only (no leading zeros), so each grant has exactly one valid link. */
const DIGITS = /^(0|[1-9][0-9]{0,11})$/;
/** 32 bytes of HMAC-SHA256 in unpadded base64url. */
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Signs and checks download links: HMAC-SHA256 over a versioned, newline-separated statement of the
 * grant. The recording id comes from the path and the rest from the query, so altering any of them
 * (or moving the query onto another recording's path) breaks the signature.
 */
export class DownloadLinkSigner {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 32) throw new Error("the download link secret must be at least 32 bytes");
  }

  /** The path and query of a link; the caller prefixes the public origin. */
  pathFor(grant: DownloadGrant): string {
    const query = new URLSearchParams({
      uid: grant.userId,
      gen: String(grant.generation),
      exp: String(grant.expiresAtSeconds),
      sig: this.signature(grant),
    });
    return `${DOWNLOAD_PATH_PREFIX}${encodeURIComponent(grant.recordingId)}?${query}`;
  }

  /** Checks the signature only (expiry is the caller's next step, so a forged expiry is reported as forged). */
  check(recordingId: string, query: Record<string, unknown>): LinkCheck {
    const { uid, gen, exp, sig } = query;
    if (typeof uid !== "string" || typeof gen !== "string" || typeof exp !== "string" || typeof sig !== "string") return { ok: false };
    if (!ID.test(recordingId) || !ID.test(uid) || !DIGITS.test(gen) || !DIGITS.test(exp) || !SIGNATURE.test(sig)) return { ok: false };
    const grant: DownloadGrant = { recordingId, userId: uid, generation: Number(gen), expiresAtSeconds: Number(exp) };
    // Compared as canonical text, not decoded bytes: base64url decoding ignores the last character's spare
    // bits, so two different strings can decode to the same MAC. Equal lengths are guaranteed by SIGNATURE.
    const expected = Buffer.from(this.signature(grant), "ascii");
    return timingSafeEqual(expected, Buffer.from(sig, "ascii")) ? { ok: true, grant } : { ok: false };
  }

  private signature(grant: DownloadGrant): string {
    const statement = ["callvault-download/v1", grant.recordingId, grant.userId, String(grant.generation), String(grant.expiresAtSeconds)].join("\n");
    return createHmac("sha256", this.secret).update(statement, "utf8").digest("base64url");
  }
}
