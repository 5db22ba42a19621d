/**
 * Viewers (a user and their roles) are cached between requests; a role change still applies to the user's next
 * request, on the instance that made it and on the others of a fleet (through Redis), even when its first publish
 * fails, and an instance whose Redis link drops caches nothing until it is back. Roles edited by hand in the database, which nothing
 * announces, show the cache: they appear only once the user's copy is gone.
 */
import type Redis from "ioredis";
import { Role } from "../src/auth/role";
import { codesOf, gql } from "./support/graphql-client";
import { startTestApp, TestApp, TestUser } from "./support/test-app";
import { connectTestRedis, TEST_REDIS_URL } from "./support/test-redis";

/** Longer than any test here: a copy that goes away went because of an event or a gap, never its age. */
const LONG_TTL = { viewerCacheSeconds: 300 };
/** Allowed for COMPLIANCE_ADMINISTRATOR only. */
const AUDIT_LOG = "{ auditLog(first: 1) { edges { node { position } } } }";
const ASSIGN = `mutation($userId: ID!, $roles: [Role!]!) { assignRoles(userId: $userId, roles: $roles) { id roles } }`;

const auditLogAnswer = async (t: TestApp, user: TestUser) => codesOf(await gql(t.url, AUDIT_LOG, {}, user.token))[0] ?? "OK";

/** As an operator editing the database by hand would: no event announces it. */
const setRolesByHand = async (t: TestApp, userId: string, roles: Role[]) => {
  await t.app.services.dataSource.query("DELETE FROM user_roles WHERE userId = ?", [userId]);
  for (const role of roles) await t.app.services.dataSource.query("INSERT INTO user_roles (userId, role) VALUES (?, ?)", [userId, role]);
};

const assignRoles = async (t: TestApp, admin: TestUser, userId: string, roles: Role[]) => {
  const response = await gql(t.url, ASSIGN, { userId, roles }, admin.token);
  expect(response.errors).toBeUndefined();
};

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface TwoInstances {
  a: TestApp;
  b: TestApp;
  admin: TestUser;
  /** The tests' own connection to the instances' Redis. */
  redis: Redis;
}

/** A and B on one database and Redis for the enclosing describe block; A may speak to Redis as another user. */
function useTwoInstances(options: { redisUrlOfA?: () => string; before?: (redis: Redis) => Promise<unknown>; after?: (redis: Redis) => Promise<unknown> } = {}): TwoInstances {
  const fleet = {} as TwoInstances;
  beforeAll(async () => {
    fleet.redis = await connectTestRedis();
    await options.before?.(fleet.redis);
    fleet.a = await startTestApp({ redisUrl: options.redisUrlOfA?.() ?? TEST_REDIS_URL, operations: LONG_TTL });
    fleet.b = await startTestApp({ redisUrl: TEST_REDIS_URL, operations: LONG_TTL, shareDatabaseWith: fleet.a });
    fleet.admin = await fleet.a.user([Role.ADMINISTRATOR], "admin");
  });
  afterAll(async () => {
    await fleet.b?.close();
    await fleet.a?.close();
    if (fleet.redis) await options.after?.(fleet.redis);
    fleet.redis?.disconnect();
  });
  return fleet;
}

describe("one instance", () => {
  let t: TestApp;
  let admin: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ operations: LONG_TTL });
    admin = await t.user([Role.ADMINISTRATOR], "admin");
  });
  afterAll(() => t.close());

  it("answers a user's requests from their cached viewer, and applies a role change to their next request", async () => {
    const user = await t.user([Role.AGENT], "cached");
    expect(await auditLogAnswer(t, user)).toBe("FORBIDDEN");
    await setRolesByHand(t, user.id, [Role.COMPLIANCE_ADMINISTRATOR]);
    expect(await auditLogAnswer(t, user)).toBe("FORBIDDEN");

    await assignRoles(t, admin, user.id, [Role.AGENT, Role.COMPLIANCE_ADMINISTRATOR]);
    expect(await auditLogAnswer(t, user)).toBe("OK");
    await assignRoles(t, admin, user.id, [Role.AGENT]);
    expect(await auditLogAnswer(t, user)).toBe("FORBIDDEN");
  });

  it("reads the roles for every request with VIEWER_CACHE_SECONDS=0", async () => {
    const uncached = await startTestApp({ operations: { viewerCacheSeconds: 0 } });
    try {
      const user = await uncached.user([Role.AGENT], "uncached");
      expect(await auditLogAnswer(uncached, user)).toBe("FORBIDDEN");
      await setRolesByHand(uncached, user.id, [Role.COMPLIANCE_ADMINISTRATOR]);
      expect(await auditLogAnswer(uncached, user)).toBe("OK");
    } finally {
      await uncached.close();
    }
  });
});

describe("two instances on one database and Redis", () => {
  const fleet = useTwoInstances();

  it("applies a role change made on one instance to the user's next request on the other", async () => {
    const { a, b, admin } = fleet;
    const user = await a.user([Role.AGENT], "fleet-user");
    // Granted and revoked again and again, each answer read on B right after A answered the change: a change
    // that reached B only after the next request would show in one of the rounds.
    for (let round = 0; round < 10; round++) {
      expect(await auditLogAnswer(b, user)).toBe("FORBIDDEN");
      await assignRoles(a, admin, user.id, [Role.COMPLIANCE_ADMINISTRATOR]);
      expect(await auditLogAnswer(b, user)).toBe("OK");
      await assignRoles(a, admin, user.id, [Role.AGENT]);
    }
    expect(await auditLogAnswer(b, user)).toBe("FORBIDDEN");
  });

  it("caches nothing while an instance's Redis link is down, and caches again once it is back", async () => {
    const { a, b, redis } = fleet;
    const user = await a.user([Role.AGENT], "gap-user");
    expect(await auditLogAnswer(b, user)).toBe("FORBIDDEN");
    await setRolesByHand(b, user.id, [Role.COMPLIANCE_ADMINISTRATOR]);
    expect(await auditLogAnswer(b, user)).toBe("FORBIDDEN");

    // B's subscriber connection goes: whatever is published meanwhile never reaches B.
    const name = `callvault:${b.app.services.presence.instanceId}:subscriber`;
    const clients = String(await redis.call("CLIENT", "LIST", "TYPE", "pubsub"));
    const id = clients.split("\n").find((line) => line.includes(` name=${name} `))?.match(/^id=(\d+)/)?.[1];
    expect(id).toBeDefined();
    await redis.call("CLIENT", "KILL", "ID", id!);
    await until(() => auditLogAnswer(b, user), (answer) => answer === "OK", "B to read the roles afresh once its link dropped");

    // Back: a copy is kept again, so a request after an edit by hand answers as the one before it.
    await until(
      async () => {
        await setRolesByHand(b, user.id, [Role.COMPLIANCE_ADMINISTRATOR]);
        const read = await auditLogAnswer(b, user);
        await setRolesByHand(b, user.id, [Role.AGENT]);
        return [read, await auditLogAnswer(b, user)];
      },
      ([read, next]) => read === next,
      "B to cache again once its link is back",
    );
  });
});

describe("a role change whose publish fails", () => {
  // A speaks to Redis as its own ACL user, so that its PUBLISH alone can be refused while every link stays up.
  const publisherUser = `callvault-test-${process.pid}`;
  const fleet = useTwoInstances({
    redisUrlOfA: () => {
      const url = new URL(TEST_REDIS_URL);
      url.username = publisherUser;
      url.password = "unused";
      return url.toString();
    },
    before: (redis) => redis.call("ACL", "SETUSER", publisherUser, "on", "nopass", "~*", "&*", "+@all"),
    after: (redis) => redis.call("ACL", "DELUSER", publisherUser),
  });

  it("is published again until the bus takes it, so other instances drop the copy they hold", async () => {
    const { a, b, admin, redis } = fleet;
    const user = await a.user([Role.COMPLIANCE_ADMINISTRATOR], "revoked-while-refused");
    expect(await auditLogAnswer(b, user)).toBe("OK");

    await redis.call("ACL", "SETUSER", publisherUser, "-publish");
    try {
      // Committed and answered; B never heard of it, so its copy still holds the old role.
      await assignRoles(a, admin, user.id, [Role.AGENT]);
      expect(await auditLogAnswer(a, user)).toBe("FORBIDDEN");
      expect(await auditLogAnswer(b, user)).toBe("OK");
    } finally {
      await redis.call("ACL", "SETUSER", publisherUser, "+publish");
    }
    await until(() => auditLogAnswer(b, user), (answer) => answer === "FORBIDDEN", "B to drop its copy once A's publish went through");
  });
});
