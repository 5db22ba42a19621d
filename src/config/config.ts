import os from "node:os";
import path from "node:path";

export type NodeEnv = "development" | "production" | "test";

export type DatabaseConfig =
  | { kind: "sqlite"; file: string }
  | { kind: "mysql"; url: string; flavor?: "mysql" | "mariadb" };

export type JwtConfig =
  | { mode: "secret"; secret: string | undefined; issuer: string; audience: string }
  | { mode: "jwks"; jwksUrl: string; issuer: string; audience: string };

export type PauseBehavior = "silence" | "skip";

/** Where encrypted recordings are stored (MEDIA_STORE_URL). */
export type MediaStoreConfig =
  | { kind: "filesystem"; root: string }
  | { kind: "s3"; bucket: string; prefix: string; region: string | undefined; endpoint: string | undefined; forcePathStyle: boolean };

export interface MediaConfig {
  /** Unset: the filesystem store under DATA_DIR/media. */
  store?: MediaStoreConfig;
  /** Base64 of 32 bytes; wraps every recording's data key. Generated into DATA_DIR when unset (not in production). */
  masterKey: string | undefined;
  /** Validates X-Twilio-Signature on the media WebSocket upgrade when set. */
  twilioAuthToken: string | undefined;
  pauseBehavior: PauseBehavior;
  /** The externally visible base URL, for signed download links and Twilio signature checks. */
  publicUrl: string | undefined;
  downloadUrlTtlSeconds: number;
}

export interface ComplianceConfig {
  /** Base64 of a 32-byte Ed25519 seed that signs audit checkpoints; derived from the master key (HKDF) when unset. */
  auditCheckpointKey: string | undefined;
  auditCheckpointIntervalSeconds: number;
  /** How often the retention job looks for expired recordings (once across the fleet). */
  retentionIntervalSeconds: number;
  /** Recordings expired per transaction by the retention job. */
  retentionBatchSize: number;
}

export interface MediaPipelineConfig {
  /** Worker threads that mix, cut and encode live calls; the event loop keeps sockets, parsing and control. */
  workers: number;
  /** A pause cuts from this long before its request arrived: a tenth of a second of the agent is cheap, a card digit is not. */
  pauseGuardMs: number;
  /** How many nice levels below the event loop the workers run (0: the same priority). */
  workerNiceness: number;
  /** MP3_ENCODER: which build of LAME encodes (`auto`: the native one when its addon was built). */
  mp3Encoder: "auto" | "native" | "wasm";
}

export interface Config {
  port: number;
  nodeEnv: NodeEnv;
  dataDir: string;
  database: DatabaseConfig;
  redisUrl: string | undefined;
  jwt: JwtConfig;
  seedDemo: boolean;
  media: MediaConfig;
  compliance: ComplianceConfig;
  mediaPipeline: MediaPipelineConfig;
  /** Shutdown, ingest quotas, token age, logs and metrics; loadConfig always sets it, DEFAULT_OPERATIONS otherwise. */
  operations?: OperationsConfig;
  /** Unset: the defaults of parseFleetConfig. */
  fleet?: FleetConfig;
}

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface IngestLimits {
  /** Concurrent media streams on this instance. */
  maxStreams: number;
  /** Concurrent media streams per API user (Twilio-signed streams count only against maxStreams). */
  maxStreamsPerUser: number;
  /** A stream is ended when its call has lasted this long. */
  maxCallMs: number;
  /** How far a frame's timestamp may run ahead of the wall clock since `start`. */
  clockToleranceMs: number;
}

export interface OperationsConfig {
  shutdownTimeoutMs: number;
  ingest: IngestLimits;
  /** Tokens issued (iat) longer ago than this, or living longer than this (exp - iat), are refused. */
  tokenMaxAgeSeconds: number;
  /** Bearer token for GET /metrics; unset turns /metrics off. */
  metricsToken: string | undefined;
  logLevel: LogLevel;
  /** How long a request's viewer (user and roles) may answer the user's later requests; role changes drop it. */
  viewerCacheSeconds: number;
}

export const DEFAULT_OPERATIONS: OperationsConfig = {
  shutdownTimeoutMs: 25_000,
  ingest: { maxStreams: 500, maxStreamsPerUser: 200, maxCallMs: 4 * 3600_000, clockToleranceMs: 3000 },
  tokenMaxAgeSeconds: 12 * 3600,
  metricsToken: undefined,
  logLevel: "info",
  viewerCacheSeconds: 60,
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const NODE_ENVS: readonly NodeEnv[] = ["development", "production", "test"];
const MIN_SECRET_LENGTH = 32;

function parseBoolean(name: string, raw: string | undefined, problems: string[]): boolean | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (["true", "1", "yes"].includes(raw.toLowerCase())) return true;
  if (["false", "0", "no"].includes(raw.toLowerCase())) return false;
  problems.push(`${name} must be true or false (got "${raw}")`);
  return undefined;
}

function parseUrl(name: string, raw: string, protocols: string[], problems: string[]): string | undefined {
  try {
    const url = new URL(raw);
    if (!protocols.includes(url.protocol)) {
      problems.push(`${name} must start with ${protocols.map((p) => `${p}//`).join(" or ")} (got "${url.protocol}//…")`);
      return undefined;
    }
    return raw;
  } catch {
    problems.push(`${name} is not a valid URL`);
    return undefined;
  }
}

/** Reads and validates every setting the service uses; the only place that touches process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];

  const nodeEnv = (env.NODE_ENV || "development") as NodeEnv;
  if (!NODE_ENVS.includes(nodeEnv)) problems.push(`NODE_ENV must be one of ${NODE_ENVS.join(", ")} (got "${env.NODE_ENV}")`);

  let port = 4000;
  if (env.PORT !== undefined && env.PORT !== "") {
    port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`PORT must be an integer from 0 to 65535 (got "${env.PORT}")`);
  }

  const dataDir = path.resolve(env.DATA_DIR || "./data");

  let database: DatabaseConfig = { kind: "sqlite", file: path.join(dataDir, "callvault.sqlite") };
  if (env.DATABASE_URL) {
    const url = parseUrl("DATABASE_URL", env.DATABASE_URL, ["mysql:", "mariadb:"], problems);
    if (url) database = { kind: "mysql", url: url.replace(/^mariadb:/, "mysql:"), flavor: url.startsWith("mariadb:") ? "mariadb" : undefined };
  }

  const redisUrl = env.REDIS_URL ? parseUrl("REDIS_URL", env.REDIS_URL, ["redis:", "rediss:"], problems) : undefined;

  const issuer = env.JWT_ISSUER || "callvault";
  const audience = env.JWT_AUDIENCE || "callvault";
  let jwt: JwtConfig = { mode: "secret", secret: undefined, issuer, audience };
  if (env.JWT_SECRET && env.JWKS_URL) {
    problems.push("set either JWT_SECRET (HS256) or JWKS_URL (RS256/ES256), not both");
  } else if (env.JWKS_URL) {
    const jwksUrl = parseUrl("JWKS_URL", env.JWKS_URL, nodeEnv === "production" ? ["https:"] : ["https:", "http:"], problems);
    if (jwksUrl) jwt = { mode: "jwks", jwksUrl, issuer, audience };
  } else if (env.JWT_SECRET) {
    if (env.JWT_SECRET.length < MIN_SECRET_LENGTH) problems.push(`JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
    jwt = { mode: "secret", secret: env.JWT_SECRET, issuer, audience };
  } else if (nodeEnv === "production") {
    problems.push("in production set JWT_SECRET or JWKS_URL (the generated development secret is not used in production)");
  }

  const seedDemo = parseBoolean("SEED_DEMO", env.SEED_DEMO, problems) ?? database.kind === "sqlite";
  const media = parseMediaConfig(env, nodeEnv, problems);
  media.store = parseMediaStore(env, dataDir, problems);
  const fleet = parseFleetConfig(env, problems);
  const compliance = parseComplianceConfig(env, problems);
  const mediaPipeline = parseMediaPipelineConfig(env, problems);
  const operations = parseOperationsConfig(env, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return { port, nodeEnv, dataDir, database, redisUrl, jwt, seedDemo, media, fleet, compliance, mediaPipeline, operations };
}

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_PREFIX_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** MEDIA_STORE_URL: s3://bucket/optional/prefix, or file:///absolute/path; unset is DATA_DIR/media. */
function parseMediaStore(env: NodeJS.ProcessEnv, dataDir: string, problems: string[]): MediaStoreConfig {
  const fallback: MediaStoreConfig = { kind: "filesystem", root: path.join(dataDir, "media") };
  const raw = env.MEDIA_STORE_URL?.trim();
  const s3Settings = ["AWS_ENDPOINT_URL_S3", "S3_FORCE_PATH_STYLE"].filter((name) => env[name]);
  if (!raw) {
    if (s3Settings.length > 0) problems.push(`${s3Settings.join(" and ")} only apply to an S3 store: set MEDIA_STORE_URL=s3://bucket/prefix`);
    return fallback;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`MEDIA_STORE_URL must be s3://bucket/optional/prefix or file:///absolute/path (got "${raw}")`);
    return fallback;
  }
  if (url.protocol === "file:") {
    if (url.host !== "" || !url.pathname.startsWith("/")) problems.push(`MEDIA_STORE_URL must name an absolute path, file:///var/lib/callvault/media (got "${raw}")`);
    if (s3Settings.length > 0) problems.push(`${s3Settings.join(" and ")} only apply to an S3 store (MEDIA_STORE_URL is a file:// URL)`);
    return { kind: "filesystem", root: decodeURIComponent(url.pathname) };
  }
  if (url.protocol !== "s3:") {
    problems.push(`MEDIA_STORE_URL must start with s3:// or file:// (got "${url.protocol}//…")`);
    return fallback;
  }
  const bucket = url.hostname;
  if (!S3_BUCKET.test(bucket)) problems.push(`MEDIA_STORE_URL names an invalid bucket "${bucket}" (3–63 lowercase letters, digits, dots and hyphens)`);
  if (url.search || url.hash || url.username || url.password || url.port) problems.push("MEDIA_STORE_URL takes no credentials, port, query or fragment: credentials come from the AWS credential chain, the endpoint from AWS_ENDPOINT_URL_S3");
  const segments = url.pathname.split("/").filter(Boolean);
  if (segments.some((segment) => !S3_PREFIX_SEGMENT.test(segment))) problems.push(`MEDIA_STORE_URL has an invalid key prefix "${url.pathname}" (letters, digits, ".", "_", "-", not starting with ".")`);
  const prefix = segments.length > 0 ? `${segments.join("/")}/` : "";

  const endpoint = env.AWS_ENDPOINT_URL_S3 ? parseUrl("AWS_ENDPOINT_URL_S3", env.AWS_ENDPOINT_URL_S3, ["http:", "https:"], problems) : undefined;
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || undefined;
  if (region !== undefined && !/^[a-z0-9-]{2,32}$/.test(region)) problems.push(`AWS_REGION must be a region name such as eu-west-1 (got "${region}")`);
  if (!region && !endpoint) problems.push("MEDIA_STORE_URL=s3://… needs AWS_REGION (e.g. eu-west-1), or AWS_ENDPOINT_URL_S3 for an S3-compatible server");
  const forcePathStyle = parseBoolean("S3_FORCE_PATH_STYLE", env.S3_FORCE_PATH_STYLE, problems) ?? false;
  return { kind: "s3", bucket, prefix, region, endpoint, forcePathStyle };
}

export interface FleetConfig {
  /** An instance that has not renewed its liveness lease for this long is dead; its calls are settled by others. */
  instanceStaleAfterMs: number;
  /** How often the media sweeper runs (once across the fleet). */
  sweepIntervalMs: number;
}

function parseMilliseconds(name: string, raw: string | undefined, fallback: number, min: number, max: number, problems: string[]): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number of milliseconds from ${min} to ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}

function parseFleetConfig(env: NodeJS.ProcessEnv, problems: string[]): FleetConfig {
  return {
    instanceStaleAfterMs: parseMilliseconds("INSTANCE_STALE_AFTER_MS", env.INSTANCE_STALE_AFTER_MS, 30_000, 1_000, 600_000, problems),
    sweepIntervalMs: parseMilliseconds("MEDIA_SWEEP_INTERVAL_MS", env.MEDIA_SWEEP_INTERVAL_MS, 60_000, 500, 3_600_000, problems),
  };
}

const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;
const MIN_DOWNLOAD_TTL = 30;
const MAX_DOWNLOAD_TTL = 3600;

function parseMediaConfig(env: NodeJS.ProcessEnv, nodeEnv: NodeEnv, problems: string[]): MediaConfig {
  const masterKey = env.MASTER_KEY?.trim() || undefined;
  if (masterKey && !BASE64_32_BYTES.test(masterKey)) problems.push("MASTER_KEY must be 32 random bytes in base64 (openssl rand -base64 32)");
  if (!masterKey && nodeEnv === "production") problems.push("in production set MASTER_KEY (openssl rand -base64 32); it wraps every recording's key");

  const pauseBehavior = (env.PAUSE_BEHAVIOR || "silence") as PauseBehavior;
  if (pauseBehavior !== "silence" && pauseBehavior !== "skip") problems.push(`PAUSE_BEHAVIOR must be silence or skip (got "${env.PAUSE_BEHAVIOR}")`);

  const publicUrl = env.PUBLIC_URL ? parseUrl("PUBLIC_URL", env.PUBLIC_URL, ["http:", "https:"], problems)?.replace(/\/+$/, "") : undefined;

  let downloadUrlTtlSeconds = 300;
  if (env.DOWNLOAD_URL_TTL_SECONDS) {
    downloadUrlTtlSeconds = Number(env.DOWNLOAD_URL_TTL_SECONDS);
    if (!Number.isInteger(downloadUrlTtlSeconds) || downloadUrlTtlSeconds < MIN_DOWNLOAD_TTL || downloadUrlTtlSeconds > MAX_DOWNLOAD_TTL) {
      problems.push(`DOWNLOAD_URL_TTL_SECONDS must be a whole number of seconds from ${MIN_DOWNLOAD_TTL} to ${MAX_DOWNLOAD_TTL}`);
    }
  }
  return { masterKey, twilioAuthToken: env.TWILIO_AUTH_TOKEN || undefined, pauseBehavior, publicUrl, downloadUrlTtlSeconds };
}

const MAX_MEDIA_WORKERS = 64;
/** The cutter holds audio back 500 ms: a guard band reaching further back than that could never be honoured. */
const MAX_PAUSE_GUARD_MS = 400;

function parseWholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, unit: string, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be a whole number of ${unit} from ${min} to ${max} (got "${raw}")`);
  return value;
}

function parseComplianceConfig(env: NodeJS.ProcessEnv, problems: string[]): ComplianceConfig {
  const auditCheckpointKey = env.AUDIT_CHECKPOINT_KEY?.trim() || undefined;
  if (auditCheckpointKey && !BASE64_32_BYTES.test(auditCheckpointKey)) problems.push("AUDIT_CHECKPOINT_KEY must be a 32-byte Ed25519 seed in base64 (openssl rand -base64 32)");
  return {
    auditCheckpointKey,
    auditCheckpointIntervalSeconds: parseWholeNumber(env, "AUDIT_CHECKPOINT_INTERVAL_SECONDS", 60, 1, 86_400, "seconds", problems),
    retentionIntervalSeconds: parseWholeNumber(env, "RETENTION_INTERVAL_SECONDS", 3600, 1, 86_400, "seconds", problems),
    retentionBatchSize: parseWholeNumber(env, "RETENTION_BATCH_SIZE", 100, 1, 10_000, "recordings", problems),
  };
}

function parseMediaPipelineConfig(env: NodeJS.ProcessEnv, problems: string[]): MediaPipelineConfig {
  return {
    workers: parseWholeNumber(env, "MEDIA_WORKERS", os.availableParallelism(), 1, MAX_MEDIA_WORKERS, "workers", problems),
    pauseGuardMs: parseWholeNumber(env, "PAUSE_GUARD_MS", 100, 0, MAX_PAUSE_GUARD_MS, "milliseconds", problems),
    workerNiceness: parseWholeNumber(env, "MEDIA_WORKER_NICENESS", 0, 0, 19, "nice levels", problems),
    mp3Encoder: parseMp3Encoder(env.MP3_ENCODER, problems),
  };
}

const MP3_ENCODERS = ["auto", "native", "wasm"] as const;

function parseMp3Encoder(raw: string | undefined, problems: string[]): MediaPipelineConfig["mp3Encoder"] {
  const value = raw?.trim() || "auto";
  const known = MP3_ENCODERS.find((encoder) => encoder === value);
  if (!known) problems.push(`MP3_ENCODER must be one of ${MP3_ENCODERS.join(", ")} (got "${raw}")`);
  return known ?? "auto";
}

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const MIN_METRICS_TOKEN_LENGTH = 16;

/** TOKEN_MAX_AGE: seconds, or a number with s, m, h or d ("12h"). */
function parseDuration(name: string, raw: string | undefined, fallbackSeconds: number, problems: string[]): number {
  if (raw === undefined || raw === "") return fallbackSeconds;
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(raw.trim());
  const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? "s") as "s"] : NaN;
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > 30 * 86400) {
    problems.push(`${name} must be a duration from 60s to 30d, e.g. 12h or 3600 (got "${raw}")`);
    return fallbackSeconds;
  }
  return seconds;
}

function parseOperationsConfig(env: NodeJS.ProcessEnv, problems: string[]): OperationsConfig {
  const d = DEFAULT_OPERATIONS;
  const logLevel = (env.LOG_LEVEL || d.logLevel) as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")} (got "${env.LOG_LEVEL}")`);
  const metricsToken = env.METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && metricsToken.length < MIN_METRICS_TOKEN_LENGTH) problems.push(`METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_LENGTH} characters`);
  return {
    shutdownTimeoutMs: parseWholeNumber(env, "SHUTDOWN_TIMEOUT_MS", d.shutdownTimeoutMs, 1000, 600_000, "milliseconds", problems),
    ingest: {
      maxStreams: parseWholeNumber(env, "MEDIA_MAX_STREAMS", d.ingest.maxStreams, 1, 100_000, "streams", problems),
      maxStreamsPerUser: parseWholeNumber(env, "MEDIA_MAX_STREAMS_PER_USER", d.ingest.maxStreamsPerUser, 1, 100_000, "streams", problems),
      maxCallMs: parseWholeNumber(env, "MEDIA_MAX_CALL_SECONDS", d.ingest.maxCallMs / 1000, 1, 7 * 86400, "seconds", problems) * 1000,
      clockToleranceMs: parseWholeNumber(env, "MEDIA_CLOCK_TOLERANCE_MS", d.ingest.clockToleranceMs, 100, 60_000, "milliseconds", problems),
    },
    tokenMaxAgeSeconds: parseDuration("TOKEN_MAX_AGE", env.TOKEN_MAX_AGE, d.tokenMaxAgeSeconds, problems),
    metricsToken,
    logLevel,
    viewerCacheSeconds: parseWholeNumber(env, "VIEWER_CACHE_SECONDS", d.viewerCacheSeconds, 0, 300, "seconds", problems),
  };
}
