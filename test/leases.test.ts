import type { DataSource } from "typeorm";
import { setTimeout as sleep } from "node:timers/promises";
import { openDataSource } from "../src/database/data-source";
import { FleetJob } from "../src/leases/fleet-job";
import { LeaseService } from "../src/leases/lease.service";
import { createTestDatabase, TestDatabase } from "./support/test-database";

let database: TestDatabase;
let dataSource: DataSource;
let leases: LeaseService;
let counter = 0;
const uniqueName = (what: string) => `${what}-${++counter}`;

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = await openDataSource(database.config);
  await dataSource.runMigrations({ transaction: "each" });
  leases = new LeaseService(dataSource);
});
afterAll(async () => {
  await dataSource.destroy();
  await database.drop();
});

describe("LeaseService", () => {
  it("gives a free lease to one holder, again to the same holder, never to another until it expires", async () => {
    const name = uniqueName("lease");
    const t0 = new Date();
    expect(await leases.tryAcquire(name, "a", 1000, t0)).toBe(true);
    expect(await leases.tryAcquire(name, "b", 1000, t0)).toBe(false);
    expect(await leases.tryAcquire(name, "a", 1000, t0)).toBe(true);
    expect(await leases.holderOf(name, t0)).toBe("a");
    const afterExpiry = new Date(t0.getTime() + 1001);
    expect(await leases.holderOf(name, afterExpiry)).toBeNull();
    expect(await leases.tryAcquire(name, "b", 1000, afterExpiry)).toBe(true);
    // The old holder's renewal fails: it must stop the work the lease guarded.
    expect(await leases.renew(name, "a", 1000, afterExpiry)).toBe(false);
    expect(await leases.renew(name, "b", 1000, afterExpiry)).toBe(true);
  });

  it("lets exactly one of many racing holders take a free lease", async () => {
    const name = uniqueName("race");
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => leases.tryAcquire(name, `holder-${i}`, 5000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("releases only the holder's own lease", async () => {
    const name = uniqueName("release");
    await leases.tryAcquire(name, "a", 60_000);
    await leases.release(name, "b");
    expect(await leases.holderOf(name)).toBe("a");
    await leases.release(name, "a");
    expect(await leases.holderOf(name)).toBeNull();
    expect(await leases.tryAcquire(name, "b", 60_000)).toBe(true);
  });

  it("lists the unexpired leases under a prefix (a LIKE wildcard in the prefix is literal)", async () => {
    const prefix = uniqueName("inst_");
    const now = new Date();
    await leases.tryAcquire(`${prefix}:x`, "x", 60_000, now);
    await leases.tryAcquire(`${prefix}:y`, "y", 10, now);
    await leases.tryAcquire(`${prefix.replace("_", "A")}:z`, "z", 60_000, now);
    expect((await leases.held(`${prefix}:`, new Date(now.getTime() + 100))).map((h) => h.holderId)).toEqual(["x"]);
  });

  it("purges only the leases under a prefix that expired before a cut-off", async () => {
    const prefix = uniqueName("purge:");
    const now = new Date();
    await leases.tryAcquire(`${prefix}old`, "x", 10, new Date(now.getTime() - 60_000));
    await leases.tryAcquire(`${prefix}live`, "y", 60_000, now);
    await leases.tryAcquire(`${uniqueName("other:")}old`, "z", 10, new Date(now.getTime() - 60_000));
    expect(await leases.purgeExpired(prefix, now)).toBe(1);
    expect(await leases.holderOf(`${prefix}live`)).toBe("y");
    expect(await leases.tryAcquire(`${prefix}old`, "w", 1000)).toBe(true);
  });

  it("runs a job under the lease on one instance only, and frees the lease afterwards", async () => {
    const name = uniqueName("exclusive");
    let concurrent = 0;
    let maxConcurrent = 0;
    const job = async () => {
      maxConcurrent = Math.max(maxConcurrent, ++concurrent);
      await sleep(100);
      concurrent--;
      return "done";
    };
    const [first, second] = await Promise.all([leases.runExclusive(name, "a", 5000, job), leases.runExclusive(name, "b", 5000, job)]);
    expect([first.ran, second.ran].sort()).toEqual([false, true]);
    expect(maxConcurrent).toBe(1);
    expect(await leases.holderOf(name)).toBeNull();
  });

  it("renews the lease while a job outlives its TTL, so nobody else starts it meanwhile", async () => {
    const name = uniqueName("long-job");
    let intruderRan = false;
    // A TTL of a second leaves renewals (every third of it) room for a loaded CI machine's stalls; the job
    // still outlives it twice over, so without renewals the intruder would run.
    await leases.runExclusive(name, "a", 1000, async () => {
      await sleep(2200);
      intruderRan = (await leases.runExclusive(name, "b", 1000, async () => undefined)).ran;
    });
    expect(intruderRan).toBe(false);
  });
});

describe("FleetJob", () => {
  it("runs once per interval across instances, and is taken over when its holder dies", async () => {
    const name = uniqueName("job");
    const runs: string[] = [];
    const jobOn = (holderId: string) => new FleetJob(leases, { name, holderId, intervalMs: 600, job: async () => void runs.push(holderId) });
    const a = jobOn("a");
    const b = jobOn("b");
    await a.tick();
    await b.tick();
    await a.tick();
    expect(runs).toEqual(["a"]);

    // "a" dies: it stops ticking and never releases. Its lease lapses within one interval.
    await b.tick();
    expect(runs).toEqual(["a"]);
    await sleep(650);
    await b.tick();
    expect(runs).toEqual(["a", "b"]);
    await b.stop();
  });
});
