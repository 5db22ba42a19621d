/**
 * Tokens already verified, by their exact text: a signature check (HMAC or RSA/EC) on every request and every
 * socket was a tenth of a pause's CPU. What a hit skips depends only on the bytes and the key (signature,
 * algorithm, issuer, audience, subject); what depends on the clock (expiry, age) is checked again on each hit.
 * An entry is trusted for at most `trustMs` after its check, so a rotated-out JWKS key stops working soon.
 */
export interface VerifiedToken {
  subject: string;
  /** Seconds since the epoch, as in the token. */
  expiresAt: number;
  issuedAt: number;
}

interface Entry extends VerifiedToken {
  checkedAt: number;
}

export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly capacity: number,
    private readonly trustMs: number,
  ) {}

  /** The token if verified recently and still within its lifetime at `nowMs` (tolerance in seconds). */
  get(token: string, nowMs: number, toleranceSeconds: number, maxAgeSeconds: number): VerifiedToken | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    const now = nowMs / 1000;
    const usable =
      nowMs - entry.checkedAt <= this.trustMs && now <= entry.expiresAt + toleranceSeconds && now - entry.issuedAt <= maxAgeSeconds + toleranceSeconds;
    if (!usable) {
      this.entries.delete(token);
      return undefined;
    }
    return entry;
  }

  set(token: string, verified: VerifiedToken, nowMs: number): void {
    if (this.entries.size >= this.capacity) {
      // Oldest first: Map keeps insertion order.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { ...verified, checkedAt: nowMs });
  }
}
