import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DataSource } from "typeorm";
import { openDataSource } from "../src/database/data-source";
import { createConnection } from "mysql2/promise";
import { isLockNotAvailable, isUniqueViolation } from "../src/database/errors";
import { forDialect, groupCommitStats } from "../src/database/raw-sql";
import { runMigrationsExclusively } from "../src/database/run-migrations";
import { SqliteWalSync } from "../src/database/sqlite-wal-sync";
import { ConcurrentModificationError, TransactionRunner, UnitOfWork } from "../src/database/transaction";
import { createTestDatabase, TestDatabase } from "./support/test-database";

let database: TestDatabase;
let dataSource: DataSource;
let transactions: TransactionRunner;

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = await openDataSource(database.config);
  await runMigrationsExclusively(dataSource);
  transactions = new TransactionRunner(dataSource);
});
afterAll(async () => {
  await transactions.close();
  await dataSource.destroy();
  await database.drop();
});

const q = (uow: UnitOfWork, sql: string) => forDialect(sql, uow.dialect === "mysql");
const key = (n: number) => `uow-test-${n}`;
const at = () => new Date().toISOString().replace("T", " ").replace("Z", "");
const insertLease = (uow: UnitOfWork, name: string) => ({
  text: q(uow, `INSERT INTO "leases" ("name", "holderId", "expiresAt", "acquiredAt") VALUES (?, 'test', ?, ?)`),
  values: [name, at(), at()],
});
const leaseCount = async (name: string) => Number((await dataSource.query(`SELECT COUNT(*) AS n FROM leases WHERE name = ?`, [name]))[0].n);

describe("a unit's last batch, sent with its COMMIT", () => {
  it("commits every statement of the batch", async () => {
    await transactions.run((uow) => uow.sqlBatch([insertLease(uow, key(1)), insertLease(uow, key(2))], { commit: true }));
    expect([await leaseCount(key(1)), await leaseCount(key(2))]).toEqual([1, 1]);
  });

  it("writes nothing when a statement that must change one row changes none: its error, the writes before it undone", async () => {
    let attempts = 0;
    const run = transactions.run(async (uow) => {
      attempts++;
      const missing = {
        text: q(uow, `UPDATE "leases" SET "holderId" = 'nobody' WHERE "name" = ?`),
        values: ["no-such-lease"],
        mustChangeOneRow: () => new ConcurrentModificationError("lease no-such-lease"),
      };
      await uow.sqlBatch([insertLease(uow, key(3)), missing, insertLease(uow, key(4))], { commit: true });
    });
    await expect(run).rejects.toBeInstanceOf(ConcurrentModificationError);
    // Retried as a concurrent modification, every attempt rolled back whole.
    expect(attempts).toBeGreaterThan(1);
    expect([await leaseCount(key(3)), await leaseCount(key(4))]).toEqual([0, 0]);
  });

  it("lets a statement that changed its one row through", async () => {
    await transactions.run(async (uow) => {
      const touch = {
        text: q(uow, `UPDATE "leases" SET "holderId" = 'touched' WHERE "name" = ?`),
        values: [key(1)],
        mustChangeOneRow: () => new ConcurrentModificationError("lease"),
      };
      const [, inserted] = await uow.sqlBatch([touch, insertLease(uow, key(5))], { commit: true });
      expect(inserted.affected).toBe(1);
    });
    expect((await dataSource.query(`SELECT holderId FROM leases WHERE name = ?`, [key(1)]))[0].holderId).toBe("touched");
    expect(await leaseCount(key(5))).toBe(1);
  });

  it("refuses anything sent on the unit after it, and never runs a unit again once it committed", async () => {
    let attempts = 0;
    const run = transactions.run(async (uow) => {
      attempts++;
      await uow.sqlBatch([insertLease(uow, key(6))], { commit: true });
      await uow.sql(q(uow, `SELECT 1`), []);
    });
    await expect(run).rejects.toThrow(/nothing more may be sent/);
    expect(attempts).toBe(1);
    // On MySQL the COMMIT went out with the batch; on SQLite the unit's savepoint rolls it back.
    expect(await leaseCount(key(6))).toBe(database.kind === "mysql" ? 1 : 0);
  });
});

describe("units committed together (group commit)", () => {
  const insertNamed = (uow: UnitOfWork, name: string) => insertLease(uow, name);

  it("commits a burst of units' last batches in a few transactions, each unit all-or-nothing and failing alone", async () => {
    await transactions.run((uow) => uow.sqlBatch([insertLease(uow, "group-taken")], { commit: true }));
    const before = { ...(groupCommitStats(dataSource) ?? { groups: 0, units: 0, roundTrips: 0 }) };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, n) =>
        transactions.run(async (uow) => {
          const statements = [insertNamed(uow, `group-${n}-a`), insertNamed(uow, `group-${n}-b`)];
          // Unit 4 breaks a unique key with its second statement; unit 8 finds no row to change with its second.
          if (n === 4) statements[1] = insertNamed(uow, "group-taken");
          if (n === 8) {
            statements[1] = {
              text: q(uow, `UPDATE "leases" SET "holderId" = 'nobody' WHERE "name" = ?`),
              values: ["no-such-lease"],
              mustChangeOneRow: () => new ConcurrentModificationError("lease no-such-lease"),
            } as ReturnType<typeof insertLease>;
          }
          const [first] = await uow.sqlBatch(statements, { commit: true });
          expect(first.affected).toBe(1);
        }),
      ),
    );
    outcomes.forEach((outcome, n) => expect([n, outcome.status]).toEqual([n, n === 4 || n === 8 ? "rejected" : "fulfilled"]));
    expect(isUniqueViolation((outcomes[4] as PromiseRejectedResult).reason)).toBe(true);
    expect((outcomes[8] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrentModificationError);
    for (let n = 0; n < 12; n++) {
      const written = n === 4 || n === 8 ? 0 : 1;
      expect([n, await leaseCount(`group-${n}-a`), await leaseCount(`group-${n}-b`)]).toEqual([n, written, n === 4 || n === 8 ? 0 : written]);
    }
    if (database.kind === "mysql") {
      const after = groupCommitStats(dataSource)!;
      // 12 units and unit 8's retries, in fewer transactions than units; each failure cost its group one round trip more.
      expect(after.units - before.units).toBeGreaterThanOrEqual(12);
      expect(after.groups - before.groups).toBeLessThan(after.units - before.units);
      expect(after.roundTrips - before.roundTrips).toBeGreaterThan(after.groups - before.groups);
    }
  });

  it("answers a lone unit as before: its batch and its COMMIT in one round trip", async () => {
    const before = { ...(groupCommitStats(dataSource) ?? { groups: 0, units: 0, roundTrips: 0 }) };
    await transactions.run((uow) => uow.sqlBatch([insertLease(uow, "group-lone")], { commit: true }));
    expect(await leaseCount("group-lone")).toBe(1);
    if (database.kind === "mysql") {
      const after = groupCommitStats(dataSource)!;
      expect([after.groups - before.groups, after.units - before.units, after.roundTrips - before.roundTrips]).toEqual([1, 1, 1]);
    }
  });
});

describe("a statement that must not wait for a row lock (MariaDB and MySQL)", () => {
  const mysqlOnly = process.env.TEST_DATABASE === "sqlite" ? it.skip : it;

  // MariaDB gives up in the statement itself; MySQL's way (a NOWAIT claim first) runs here too, on a data source of flavor "mysql".
  for (const flavor of ["mariadb", "mysql"] as const) {
    mysqlOnly(`${flavor}: fails its unit at once, and the unit sent with it commits`, async () => {
      if (database.config.kind !== "mysql") return;
      const source = flavor === "mariadb" ? dataSource : await openDataSource({ ...database.config, flavor });
      const runner = flavor === "mariadb" ? transactions : new TransactionRunner(source);
      const name = `nowait-${flavor}`;
      await runner.run((uow) => uow.sqlBatch([insertLease(uow, name)], { commit: true }));
      const holder = await createConnection(database.config.url);
      try {
        await holder.query("START TRANSACTION");
        await holder.query("SELECT 1 FROM leases WHERE name = ? FOR UPDATE", [name]);
        const started = performance.now();
        const [blocked, free] = await Promise.allSettled([
          runner.run((uow) =>
            uow.sqlBatch(
              [
                insertLease(uow, `${name}-blocked-insert`),
                {
                  text: q(uow, `UPDATE "leases" SET "holderId" = 'blocked' WHERE "name" = ?`),
                  values: [name],
                  mustChangeOneRow: () => new ConcurrentModificationError(`lease ${name}`),
                  noWait: { claim: { text: q(uow, `SELECT 1 FROM "leases" WHERE "name" = ? FOR UPDATE NOWAIT`), values: [name] } },
                },
              ],
              { commit: true },
            ),
          ),
          runner.run((uow) => uow.sqlBatch([insertLease(uow, `${name}-free`)], { commit: true })),
        ]);
        // Retried as a lock timeout like any other, each attempt refused at once: far below innodb_lock_wait_timeout.
        expect(performance.now() - started).toBeLessThan(5000);
        expect(blocked.status === "rejected" && isLockNotAvailable(blocked.reason)).toBe(true);
        expect(free.status).toBe("fulfilled");
        expect([await leaseCount(`${name}-blocked-insert`), await leaseCount(`${name}-free`)]).toEqual([0, 1]);
      } finally {
        await holder.query("ROLLBACK");
        await holder.end();
        if (source !== dataSource) await source.destroy();
      }
    });
  }
});

describe("SQLite group commit", () => {
  const sqliteOnly = process.env.TEST_DATABASE === "sqlite" ? it : it.skip;

  sqliteOnly("answers a group only after its write-ahead log is synced, and leaves writes outside a group syncing on COMMIT", async () => {
    // Events in the order they happen: a group's answer must come after a sync.
    const events: string[] = [];
    const walSync = (transactions as unknown as { walSync: SqliteWalSync }).walSync;
    const sync = walSync.sync.bind(walSync);
    walSync.sync = () => sync().then(() => void events.push("synced"));
    try {
      await Promise.all([10, 11, 12].map((n) => transactions.run((uow) => uow.sqlBatch([insertLease(uow, key(n))])).then(() => events.push("answered"))));
      expect(events).toEqual(["synced", "answered", "answered", "answered"]);
    } finally {
      walSync.sync = sync;
    }
    expect(await leaseCount(key(10))).toBe(1);
    expect((await dataSource.query("PRAGMA synchronous"))[0].synchronous).toBe(2);
  });

  it("runs one write-ahead-log sync at a time: those asked for meanwhile share the next", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-wal-"));
    const file = path.join(dir, "x.sqlite");
    fs.writeFileSync(`${file}-wal`, "frames");
    const walSync = SqliteWalSync.of(file)!;
    let started = 0;
    const syncNow = (walSync as unknown as { syncNow: () => Promise<void> }).syncNow.bind(walSync);
    (walSync as unknown as { syncNow: () => Promise<void> }).syncNow = () => (started++, syncNow());
    try {
      const first = walSync.sync();
      const waiting = [walSync.sync(), walSync.sync(), walSync.sync()];
      await Promise.all([first, ...waiting]);
      expect(started).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
