import { Role } from "../../src/auth/role";
import type { Viewer } from "../../src/auth/viewer";
import { ViewerCache } from "../../src/users/viewer-cache";

/** The database as the cache sees it: users' current roles, and how often it was read. */
class Users {
  reads = 0;
  roles = new Map<string, Role[]>([["u1", [Role.AGENT]], ["u2", [Role.TEAM_MANAGER]], ["u3", [Role.AGENT]]]);
  /** When set, a read waits for it: lets a test act while a read is in flight. */
  gate: Promise<void> | undefined;
  load = async (userId: string): Promise<Viewer | undefined> => {
    this.reads++;
    const roles = this.roles.get(userId);
    await this.gate;
    return roles && { userId, email: `${userId}@example.test`, roles: new Set(roles) };
  };
}

const rolesOf = (viewer: Viewer | undefined) => [...(viewer?.roles ?? [])];

describe("ViewerCache", () => {
  let users: Users;
  let clock: number;
  const cache = (ttlMs: number, maxEntries?: number) => new ViewerCache(users.load, { ttlMs, maxEntries, now: () => clock });

  beforeEach(() => {
    users = new Users();
    clock = 1_000;
  });

  it("answers a user's later requests from the first read until the TTL runs out", async () => {
    const viewers = cache(10_000);
    expect(rolesOf(await viewers.get("u1"))).toEqual([Role.AGENT]);
    users.roles.set("u1", [Role.ADMINISTRATOR]);
    clock += 9_999;
    expect(rolesOf(await viewers.get("u1"))).toEqual([Role.AGENT]);
    expect(users.reads).toBe(1);
    clock += 1;
    expect(rolesOf(await viewers.get("u1"))).toEqual([Role.ADMINISTRATOR]);
    expect(users.reads).toBe(2);
  });

  it("reads again after forget, for that user only", async () => {
    const viewers = cache(10_000);
    await viewers.get("u1");
    await viewers.get("u2");
    users.roles.set("u1", []);
    viewers.forget("u1");
    expect(rolesOf(await viewers.get("u1"))).toEqual([]);
    await viewers.get("u2");
    expect(users.reads).toBe(3);
  });

  it("does not keep what a read found when a forget came while it was in flight", async () => {
    const viewers = cache(10_000);
    let open!: () => void;
    users.gate = new Promise((resolve) => (open = resolve));
    const inFlight = viewers.get("u1");
    // The role change commits after the read saw the old roles, and is announced before the read returns.
    users.roles.set("u1", [Role.TEAM_MANAGER]);
    viewers.forget("u1");
    open();
    expect(rolesOf(await inFlight)).toEqual([Role.AGENT]);
    users.gate = undefined;
    expect(rolesOf(await viewers.get("u1"))).toEqual([Role.TEAM_MANAGER]);
  });

  it("keeps nothing while suspended, and starts empty when resumed", async () => {
    const viewers = cache(10_000);
    await viewers.get("u1");
    viewers.suspend();
    await viewers.get("u1");
    await viewers.get("u1");
    expect(users.reads).toBe(3);
    expect(viewers.size).toBe(0);
    viewers.resume();
    await viewers.get("u1");
    await viewers.get("u1");
    expect(users.reads).toBe(4);
  });

  it("keeps no unknown user, and nothing at all with a TTL of 0", async () => {
    const viewers = cache(10_000);
    expect(await viewers.get("nobody")).toBeUndefined();
    expect(await viewers.get("nobody")).toBeUndefined();
    expect(users.reads).toBe(2);
    const uncached = cache(0);
    await uncached.get("u1");
    await uncached.get("u1");
    expect(users.reads).toBe(4);
    expect(uncached.size).toBe(0);
  });

  it("holds at most maxEntries users, dropping the longest held first", async () => {
    const viewers = cache(10_000, 2);
    await viewers.get("u1");
    await viewers.get("u2");
    await viewers.get("u3");
    expect(viewers.size).toBe(2);
    users.reads = 0;
    await viewers.get("u2");
    await viewers.get("u3");
    expect(users.reads).toBe(0);
    await viewers.get("u1");
    expect(users.reads).toBe(1);
  });
});
