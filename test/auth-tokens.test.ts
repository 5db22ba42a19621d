import { randomUUID } from "node:crypto";
import os from "node:os";
import { SignJWT } from "jose";
import { AuditEntryEntity } from "../src/audit/audit-entry.entity";
import { ConfigError, loadConfig } from "../src/config/config";
import { codesOf, GraphQLResponse } from "./support/graphql-client";
import { createScenario, PAUSE, Scenario, startCall } from "./support/scenario";
import { startTestApp, TEST_JWT, TestApp } from "./support/test-app";
import { initSocket, sleep } from "./support/ws-helpers";

let t: TestApp;
let s: Scenario;
let recordingId: string;

beforeAll(async () => {
  t = await startTestApp();
  s = await createScenario(t);
  ({ recordingId } = await startCall(t, s));
});
afterAll(() => t.close());

const now = () => Math.floor(Date.now() / 1000);
const encoder = new TextEncoder();
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

interface Craft {
  alg?: string;
  secret?: string;
  claims?: Record<string, unknown>;
  /** Claims to leave out of the otherwise valid set. */
  omit?: string[];
}

/** A token for the scenario's agent that the service accepts, unless the overrides spoil it. */
async function craft({ alg = "HS256", secret = TEST_JWT.secret, claims = {}, omit = [] }: Craft = {}): Promise<string> {
  const payload: Record<string, unknown> = { sub: s.agent.id, iss: TEST_JWT.issuer, aud: TEST_JWT.audience, iat: now(), exp: now() + 600, ...claims };
  for (const claim of omit) delete payload[claim];
  return new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT" }).sign(encoder.encode(secret));
}

/** Unsigned: jose refuses to produce one, so it is assembled by hand. */
const unsigned = (claims: Record<string, unknown> = {}) =>
  `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: s.agent.id, iss: TEST_JWT.issuer, aud: TEST_JWT.audience, iat: now(), exp: now() + 600, ...claims })}.`;

/** The agent's valid token with its payload swapped for the administrator's: the signature no longer matches. */
async function tampered(): Promise<string> {
  const [header, , signature] = (await craft()).split(".");
  const payload = b64url({ sub: s.admin.id, iss: TEST_JWT.issuer, aud: TEST_JWT.audience, iat: now(), exp: now() + 600 });
  return `${header}.${payload}.${signature}`;
}

const bearer = async (token: string | Promise<string>) => `Bearer ${await token}`;

const BAD_AUTHORIZATIONS: [string, () => Promise<string>][] = [
  ["an expired token", () => bearer(craft({ claims: { exp: now() - 60 } }))],
  ["a token signed with another secret", () => bearer(craft({ secret: "another-secret-that-is-also-long-enough-000000" }))],
  ['an unsigned token (alg "none")', () => bearer(unsigned())],
  ["a token with a tampered payload", () => bearer(tampered())],
  ["a token from another issuer", () => bearer(craft({ claims: { iss: "someone-else" } }))],
  ["a token for another audience", () => bearer(craft({ claims: { aud: "another-service" } }))],
  ["a token without exp", () => bearer(craft({ omit: ["exp"] }))],
  ["a token without iss", () => bearer(craft({ omit: ["iss"] }))],
  ["a token without aud", () => bearer(craft({ omit: ["aud"] }))],
  ["a token without sub", () => bearer(craft({ omit: ["sub"] }))],
  ["a token not valid before next hour", () => bearer(craft({ claims: { nbf: now() + 3600 } }))],
  ["a token issued an hour in the future", () => bearer(craft({ claims: { iat: now() + 3600, exp: now() + 4200 } }))],
  ["a token issued a minute in the future (beyond the clock skew)", () => bearer(craft({ claims: { iat: now() + 60 } }))],
  ["a token living 100 years", () => bearer(craft({ claims: { exp: now() + 100 * 365 * 86400 } }))],
  ["a token living 13 hours (TOKEN_MAX_AGE is 12 h)", () => bearer(craft({ claims: { exp: now() + 13 * 3600 } }))],
  ["a token issued 13 hours ago, still unexpired", () => bearer(craft({ claims: { iat: now() - 13 * 3600, exp: now() + 600 } }))],
  ["a token without iat", () => bearer(craft({ omit: ["iat"] }))],
  ["a token for a user that does not exist", () => bearer(craft({ claims: { sub: randomUUID() } }))],
  ["a token whose subject is not a user id", () => bearer(craft({ claims: { sub: "' OR '1'='1" } }))],
  ["an HS512 token signed with the right secret", () => bearer(craft({ alg: "HS512" }))],
  ["an HS384 token signed with the right secret", () => bearer(craft({ alg: "HS384" }))],
  ["a valid token without the Bearer scheme", () => craft()],
  ["a valid token under the Basic scheme", async () => `Basic ${await craft()}`],
  ["Bearer with no token", async () => "Bearer"],
  ["Bearer with two tokens", async () => `Bearer ${await craft()} ${await craft()}`],
  ["Bearer with garbage", async () => "Bearer not-a-jwt"],
  ["an oversized token", async () => `Bearer ${"a".repeat(9000)}`],
];

async function postAs(authorization: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse> {
  const response = await fetch(t.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

const auditEntries = () => t.app.services.dataSource.getRepository(AuditEntryEntity).count();

describe("bearer tokens", () => {
  it("accepts the crafted token when nothing is spoiled (the control for every case below)", async () => {
    const me = await postAs(await bearer(craft()), "{ me { id } }");
    expect(me.data?.me.id).toBe(s.agent.id);
    const { socket, acked } = await initSocket(t.wsUrl, { authorization: await bearer(craft()) });
    expect(acked).toBe(true);
    socket.close();
    // The scheme is case-insensitive, as RFC 7235 says.
    expect((await postAs(`bearer ${await craft()}`, "{ me { id } }")).data?.me.id).toBe(s.agent.id);
  });

  describe.each(BAD_AUTHORIZATIONS)("%s", (_name, authorization) => {
    it("HTTP: 401 UNAUTHENTICATED, and the pause it carried changed nothing", async () => {
      const audited = await auditEntries();
      const response = await postAs(await authorization(), PAUSE, { input: { agentId: s.agent.id, reason: "card" } });
      expect(response.status).toBe(401);
      expect(codesOf(response)).toEqual(["UNAUTHENTICATED"]);
      expect(response.data ?? null).toBeNull();
      expect(await t.app.services.recordings.find(recordingId)).toMatchObject({ state: "RECORDING", sequence: 1 });
      expect(await auditEntries()).toBe(audited);
    });

    it("WS: connection_init is refused and the socket closed with 4403", async () => {
      const { acked, close } = await initSocket(t.wsUrl, { authorization: await authorization() });
      expect(acked).toBe(false);
      expect(close?.code).toBe(4403);
    });
  });

  it.each([
    ["no connectionParams", undefined],
    ["no authorization", {}],
    ["an empty authorization", { authorization: "" }],
    ["a non-string authorization", { authorization: 42 }],
  ])("WS: a socket with %s is refused with 4403 (subscriptions need a signed-in user)", async (_name, payload) => {
    const { acked, close } = await initSocket(t.wsUrl, payload);
    expect(acked).toBe(false);
    expect(close?.code).toBe(4403);
  });

  it("HTTP: an anonymous request reaches only what needs no sign-in, and gets UNAUTHENTICATED for the rest", async () => {
    const response = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ me { id } }" }) });
    const body = (await response.json()) as GraphQLResponse;
    expect(response.status).toBe(401);
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
    expect((await postAs("", "{ __typename }")).data).toEqual({ __typename: "Query" });
  });

  it("WS: a token that expires after connection_init signs nobody in for later operations on that socket", async () => {
    // Within the 5 s clock tolerance when the socket opens, past it three seconds later.
    const { socket, acked } = await initSocket(t.wsUrl, { authorization: await bearer(craft({ claims: { exp: now() - 3 } })) });
    try {
      expect(acked).toBe(true);
      socket.send({ id: "1", type: "subscribe", payload: { query: "{ me { id } }" } });
      expect(await socket.next()).toMatchObject({ id: "1", type: "next", payload: { data: { me: { id: s.agent.id } } } });
      expect(await socket.next()).toMatchObject({ id: "1", type: "complete" });
      await sleep(3200);
      socket.send({ id: "2", type: "subscribe", payload: { query: PAUSE, variables: { input: { agentId: s.agent.id } } } });
      const later = await socket.next();
      expect(later).toMatchObject({ id: "2", type: "next" });
      // The same error as over HTTP, where Apollo turns extensions.http into the status line.
      expect(later!.payload.errors.map((e: { extensions: unknown }) => (e.extensions as { code: string }).code)).toEqual(["UNAUTHENTICATED"]);
      expect(await t.app.services.recordings.find(recordingId)).toMatchObject({ state: "RECORDING", sequence: 1 });
    } finally {
      socket.close();
    }
  });

  it("and the same pause with an unspoiled token does pause (so the refusals above were the tokens' doing)", async () => {
    const response = await postAs(await bearer(craft()), PAUSE, { input: { agentId: s.agent.id, reason: "card" } });
    expect(response.data?.pauseRecording).toMatchObject({ state: "PAUSED", sequence: 2 });
  });
});

describe("configuration", () => {
  const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
  };
  const secret = "s".repeat(32);
  /** Production settings other than the ones under test (the media master key is required there too). */
  const PRODUCTION = { NODE_ENV: "production", MASTER_KEY: Buffer.alloc(32, 7).toString("base64") };

  it.each<[string, NodeJS.ProcessEnv, string[]]>([
    ["a port that is not a number", { PORT: "abc" }, ["PORT"]],
    ["a port out of range", { PORT: "70000" }, ["PORT"]],
    ["a PostgreSQL database URL", { DATABASE_URL: "postgres://user:pw@db:5432/callvault" }, ["DATABASE_URL"]],
    ["a database URL that is not a URL", { DATABASE_URL: "callvault.sqlite" }, ["DATABASE_URL"]],
    ["a short JWT secret", { JWT_SECRET: "s".repeat(31) }, ["JWT_SECRET"]],
    ["both a JWT secret and a JWKS URL", { JWT_SECRET: secret, JWKS_URL: "https://idp.example/jwks.json" }, ["JWT_SECRET", "JWKS_URL"]],
    ["a JWKS URL that is not http(s)", { JWKS_URL: "ftp://idp.example/jwks.json" }, ["JWKS_URL"]],
    ["production without JWT settings", { ...PRODUCTION }, ["JWT_SECRET", "JWKS_URL"]],
    ["production with a short JWT secret", { ...PRODUCTION, JWT_SECRET: "short" }, ["JWT_SECRET"]],
    ["an unknown NODE_ENV", { NODE_ENV: "staging", JWT_SECRET: secret }, ["NODE_ENV"]],
    ["a Redis URL that is not redis://", { REDIS_URL: "http://cache:6379" }, ["REDIS_URL"]],
    ["a SEED_DEMO that is not a boolean", { SEED_DEMO: "maybe" }, ["SEED_DEMO"]],
    ["no media workers", { MEDIA_WORKERS: "0" }, ["MEDIA_WORKERS"]],
    ["a fractional number of media workers", { MEDIA_WORKERS: "1.5" }, ["MEDIA_WORKERS"]],
    ["a negative pause guard band", { PAUSE_GUARD_MS: "-1" }, ["PAUSE_GUARD_MS"]],
    ["a pause guard band beyond the hold-back", { PAUSE_GUARD_MS: "500" }, ["PAUSE_GUARD_MS"]],
    ["a media worker niceness beyond the nice range", { MEDIA_WORKER_NICENESS: "20" }, ["MEDIA_WORKER_NICENESS"]],
    ["an unknown MP3 encoder", { MP3_ENCODER: "ffmpeg" }, ["MP3_ENCODER"]],
    ["a shutdown timeout that is not a number", { SHUTDOWN_TIMEOUT_MS: "soon" }, ["SHUTDOWN_TIMEOUT_MS"]],
    ["a shutdown timeout under a second", { SHUTDOWN_TIMEOUT_MS: "10" }, ["SHUTDOWN_TIMEOUT_MS"]],
    ["no media streams at all", { MEDIA_MAX_STREAMS: "0" }, ["MEDIA_MAX_STREAMS"]],
    ["a per-user stream cap that is not a number", { MEDIA_MAX_STREAMS_PER_USER: "lots" }, ["MEDIA_MAX_STREAMS_PER_USER"]],
    ["a maximum call length of zero", { MEDIA_MAX_CALL_SECONDS: "0" }, ["MEDIA_MAX_CALL_SECONDS"]],
    ["a clock tolerance out of range", { MEDIA_CLOCK_TOLERANCE_MS: "3600000" }, ["MEDIA_CLOCK_TOLERANCE_MS"]],
    ["an unknown log level", { LOG_LEVEL: "loud" }, ["LOG_LEVEL"]],
    ["a short metrics token", { METRICS_TOKEN: "short" }, ["METRICS_TOKEN"]],
  ])("refuses %s, naming the variable to set", (_name, env, variables) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    for (const variable of variables) expect(problems[0]).toContain(variable);
  });

  it("reports every problem at once, not just the first", () => {
    const problems = problemsOf({ PORT: "abc", DATABASE_URL: "postgres://db/x", JWT_SECRET: "short" });
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toEqual(expect.stringMatching(/PORT[\s\S]*DATABASE_URL[\s\S]*JWT_SECRET/));
  });

  it.each<[string, NodeJS.ProcessEnv]>([
    ["development defaults", {}],
    ["production with a JWT secret and MariaDB", { ...PRODUCTION, JWT_SECRET: secret, DATABASE_URL: "mariadb://app:pw@db:3306/callvault", PORT: "8080" }],
    ["production with a JWKS URL", { ...PRODUCTION, JWKS_URL: "https://idp.example/.well-known/jwks.json" }],
  ])("accepts %s (the control)", (_name, env) => {
    expect(() => loadConfig(env)).not.toThrow();
  });

  it("runs a media worker per core at the event loop's priority, cuts pauses from 100 ms before their request and picks the LAME build by default", () => {
    expect(loadConfig({}).mediaPipeline).toEqual({ workers: os.availableParallelism(), pauseGuardMs: 100, workerNiceness: 0, mp3Encoder: "auto" });
    expect(loadConfig({ MEDIA_WORKERS: "3", PAUSE_GUARD_MS: "0", MEDIA_WORKER_NICENESS: "5", MP3_ENCODER: "wasm" }).mediaPipeline).toEqual({
      workers: 3,
      pauseGuardMs: 0,
      workerNiceness: 5,
      mp3Encoder: "wasm",
    });
  });
});

describe("token life span", () => {
  it("TOKEN_MAX_AGE takes seconds or a duration, and refuses nonsense with a message naming it", () => {
    const base = { NODE_ENV: "test", JWT_SECRET: TEST_JWT.secret };
    expect(loadConfig({ ...base }).operations?.tokenMaxAgeSeconds).toBe(12 * 3600);
    expect(loadConfig({ ...base, TOKEN_MAX_AGE: "2h" }).operations?.tokenMaxAgeSeconds).toBe(7200);
    expect(loadConfig({ ...base, TOKEN_MAX_AGE: "900" }).operations?.tokenMaxAgeSeconds).toBe(900);
    for (const bad of ["forever", "0", "100y", "-1h"]) expect(() => loadConfig({ ...base, TOKEN_MAX_AGE: bad })).toThrow(/TOKEN_MAX_AGE/);
  });

  it("mints no token that would outlive TOKEN_MAX_AGE", async () => {
    const tokens = t.app.services.tokens;
    await expect(tokens.mint(s.agent.id, tokens.maxAgeSeconds + 1)).rejects.toThrow(/TOKEN_MAX_AGE/);
    const token = await tokens.mint(s.agent.id, tokens.maxAgeSeconds);
    expect((await postAs(`Bearer ${token}`, "{ me { id } }")).data?.me.id).toBe(s.agent.id);
  });
});
