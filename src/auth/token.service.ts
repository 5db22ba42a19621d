import { createRemoteJWKSet, errors as joseErrors, JWTPayload, jwtVerify, JWTVerifyGetKey, SignJWT } from "jose";
import type { JwtConfig } from "../config/config";
import { DomainError, ErrorCode } from "../common/errors";
import { loadOrCreateSigningSecret } from "./signing-secret";
import { VerifiedTokenCache } from "./verified-token-cache";

const HMAC_ALGORITHMS = ["HS256"];
const ASYMMETRIC_ALGORITHMS = ["RS256", "ES256"];
const REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"];
const CLOCK_TOLERANCE_SECONDS = 5;
/** TOKEN_MAX_AGE's default: a working day. */
export const DEFAULT_TOKEN_MAX_AGE_SECONDS = 12 * 3600;
const DEFAULT_MINT_TTL_SECONDS = 8 * 3600;
/** Enough for every agent of a large floor and their sockets; a miss only costs one signature check. */
const VERIFIED_CACHE_CAPACITY = 20_000;
/** A JWKS key removed by the identity provider stops being honoured this soon. */
const VERIFIED_CACHE_TRUST_MS = 60_000;

type KeySource = { kind: "secret"; key: Uint8Array } | { kind: "jwks"; getKey: JWTVerifyGetKey };

/** Verifies bearer JWTs with pinned algorithms and required exp/iss/aud; mints tokens in secret mode. */
export class TokenService {
  private readonly verified = new VerifiedTokenCache(VERIFIED_CACHE_CAPACITY, VERIFIED_CACHE_TRUST_MS);

  private constructor(
    private readonly config: JwtConfig,
    private readonly keys: KeySource,
    /** The longest a token may live (exp - iat) and the oldest it may be (now - iat). */
    readonly maxAgeSeconds: number,
  ) {}

  static create(config: JwtConfig, dataDir: string, maxAgeSeconds = DEFAULT_TOKEN_MAX_AGE_SECONDS): TokenService {
    if (config.mode === "jwks") {
      return new TokenService(config, { kind: "jwks", getKey: createRemoteJWKSet(new URL(config.jwksUrl)) }, maxAgeSeconds);
    }
    const secret = config.secret ?? loadOrCreateSigningSecret(dataDir);
    return new TokenService(config, { kind: "secret", key: new TextEncoder().encode(secret) }, maxAgeSeconds);
  }

  /** Returns the user id the token was issued for, or throws UNAUTHENTICATED. */
  async verify(token: string): Promise<string> {
    const now = Date.now();
    const cached = this.verified.get(token, now, CLOCK_TOLERANCE_SECONDS, this.maxAgeSeconds);
    if (cached) return cached.subject;
    try {
      const options = {
        issuer: this.config.issuer,
        audience: this.config.audience,
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        // Requires iat, refuses one in the future (beyond the tolerance) and one older than the maximum age.
        maxTokenAge: this.maxAgeSeconds,
      };
      const { payload } =
        this.keys.kind === "secret"
          ? await jwtVerify(token, this.keys.key, { ...options, algorithms: HMAC_ALGORITHMS })
          : await jwtVerify(token, this.keys.getKey, { ...options, algorithms: ASYMMETRIC_ALGORITHMS });
      // A token minted to live for a century is refused even while it is young.
      if ((payload.exp as number) - (payload.iat as number) > this.maxAgeSeconds + CLOCK_TOLERANCE_SECONDS) throw new TokenTooLongLivedError();
      const subject = subjectOf(payload);
      this.verified.set(token, { subject, expiresAt: payload.exp as number, issuedAt: payload.iat as number }, now);
      return subject;
    } catch (error) {
      throw new DomainError(ErrorCode.Unauthenticated, describe(error));
    }
  }

  /** The lifetime mint() gives when asked for none: 8 h, or TOKEN_MAX_AGE when that is shorter. */
  get defaultTtlSeconds(): number {
    return Math.min(DEFAULT_MINT_TTL_SECONDS, this.maxAgeSeconds);
  }

  async mint(userId: string, ttlSeconds = this.defaultTtlSeconds): Promise<string> {
    if (this.keys.kind !== "secret") throw new Error("tokens are minted by your identity provider when JWKS_URL is set");
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > this.maxAgeSeconds) {
      throw new RangeError(`a token lives from 1 second to TOKEN_MAX_AGE (${this.maxAgeSeconds} s); got ${ttlSeconds}`);
    }
    return new SignJWT({})
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(userId)
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.keys.key);
  }
}

function subjectOf(payload: JWTPayload): string {
  if (typeof payload.sub !== "string" || payload.sub.length === 0 || payload.sub.length > 64) {
    throw new Error("token has no usable subject");
  }
  return payload.sub;
}

class TokenTooLongLivedError extends Error {}

function describe(error: unknown): string {
  if (error instanceof TokenTooLongLivedError) return "token lives longer than TOKEN_MAX_AGE allows";
  if (error instanceof joseErrors.JWTExpired) return "token has expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `token claim ${error.claim} is invalid`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "token algorithm is not allowed";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "token signature is invalid";
  return "token is invalid";
}
