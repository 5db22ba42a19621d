import { createRemoteJWKSet, errors as joseErrors, JWTPayload, jwtVerify, JWTVerifyGetKey, SignJWT } from "jose";
import type { JwtConfig } from "../config/config";
import { DomainError, ErrorCode } from "../common/errors";
import { loadOrCreateSigningSecret } from "./signing-secret";

const HMAC_ALGORITHMS = ["HS256"];
const ASYMMETRIC_ALGORITHMS = ["RS256", "ES256"];
const REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"];
const CLOCK_TOLERANCE_SECONDS = 5;

type KeySource = { kind: "secret"; key: Uint8Array } | { kind: "jwks"; getKey: JWTVerifyGetKey };

/** Verifies bearer JWTs with pinned algorithms and required exp/iss/aud; mints tokens in secret mode. */
export class TokenService {
  private constructor(
    private readonly config: JwtConfig,
    private readonly keys: KeySource,
  ) {}

  static create(config: JwtConfig, dataDir: string): TokenService {
    if (config.mode === "jwks") {
      return new TokenService(config, { kind: "jwks", getKey: createRemoteJWKSet(new URL(config.jwksUrl)) });
    }
    const secret = config.secret ?? loadOrCreateSigningSecret(dataDir);
    return new TokenService(config, { kind: "secret", key: new TextEncoder().encode(secret) });
  }

  /** Returns the user id the token was issued for, or throws UNAUTHENTICATED. */
  async verify(token: string): Promise<string> {
    try {
      const options = {
        issuer: this.config.issuer,
        audience: this.config.audience,
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      };
      const { payload } =
        this.keys.kind === "secret"
          ? await jwtVerify(token, this.keys.key, { ...options, algorithms: HMAC_ALGORITHMS })
          : await jwtVerify(token, this.keys.getKey, { ...options, algorithms: ASYMMETRIC_ALGORITHMS });
      return subjectOf(payload);
    } catch (error) {
      throw new DomainError(ErrorCode.Unauthenticated, describe(error));
    }
  }

  async mint(userId: string, ttlSeconds = 8 * 3600): Promise<string> {
    if (this.keys.kind !== "secret") throw new Error("tokens are minted by your identity provider when JWKS_URL is set");
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

function describe(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "token has expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `token claim ${error.claim} is invalid`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "token algorithm is not allowed";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "token signature is invalid";
  return "token is invalid";
}
