import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DataSource } from "typeorm";
import { openDataSource } from "../src/database/data-source";
import { SqliteCheckpointer } from "../src/database/sqlite-checkpointer";
import { TransactionRunner } from "../src/database/transaction";

/**
 * SQLite's checkpoints run on a worker thread, not inside a COMMIT on the event loop. Whatever database the
 * rest of the suite runs on, this is SQLite's own behaviour, so it always runs on a scratch SQLite file.
 */
describe("SQLite checkpoints off the event loop", () => {
  let dir: string;
  let file: string;
  let dataSource: DataSource;
  let transactions: TransactionRunner;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const walBytes = () => (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-checkpoint-"));
    file = path.join(dir, "db.sqlite");
    dataSource = await openDataSource({ kind: "sqlite", file }, { withoutMigrations: true });
    await dataSource.query(`CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)`);
    transactions = new TransactionRunner(dataSource);
  });
  afterAll(async () => {
    await transactions.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the write-ahead log small while the main connection checkpoints only past its backstop", async () => {
    const rounds = 30;
    const perRound = 10;
    const rowBytes = 64 * 1024;
    let largestWal = 0;
    for (let round = 0; round < rounds; round++) {
      await Promise.all(Array.from({ length: perRound }, () => transactions.run((uow) => uow.sql(`INSERT INTO filler (data) VALUES (?)`, [randomBytes(rowBytes)]))));
      largestWal = Math.max(largestWal, walBytes());
      // Longer than the checkpoints' minimum interval (100 ms): each round's commit starts one, which has copied the
      // whole log before the next round writes, so that round starts the log over. Rounds a third of the interval
      // apart met the checkpoint's timer in phase: each round began while a checkpoint ran, and none started it over.
      await sleep(150);
    }
    const written = rounds * perRound * rowBytes;
    // The main connection's own threshold is far above what was written: only the worker can have copied it back.
    expect(Number((await dataSource.query(`PRAGMA wal_autocheckpoint`))[0].wal_autocheckpoint)).toBe(SqliteCheckpointer.BACKSTOP_WAL_PAGES);
    expect(SqliteCheckpointer.BACKSTOP_WAL_PAGES * 4096).toBeGreaterThan(written);
    // Without the worker the log would hold all ~19 MB; with it the log starts over after each full checkpoint.
    expect(largestWal).toBeLessThan(written / 3);
    expect(Number((await dataSource.query(`SELECT COUNT(*) AS n FROM filler`))[0].n)).toBe(rounds * perRound);
  });

  it("keeps the log near its soft limit under writes that never pause: writers wait for a checkpoint to catch up", async () => {
    const rowBytes = 64 * 1024;
    const rows = 600;
    let largestWal = 0;
    const sampler = setInterval(() => (largestWal = Math.max(largestWal, walBytes())), 5);
    let inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < rows; i++) {
      inFlight.push(transactions.run((uow) => uow.sql(`INSERT INTO filler (data) VALUES (?)`, [randomBytes(rowBytes)])));
      // Always a full group waiting: the next group starts the moment the previous one commits.
      if (inFlight.length >= 64) {
        await inFlight[0];
        inFlight = inFlight.slice(1);
      }
    }
    await Promise.all(inFlight);
    clearInterval(sampler);
    largestWal = Math.max(largestWal, walBytes());
    const softLimitBytes = SqliteCheckpointer.SOFT_LIMIT_WAL_BYTES;
    // A group (64 units) may still land after the soft limit is crossed, then the log starts over.
    expect(largestWal).toBeLessThan(softLimitBytes + 64 * rowBytes * 1.25 + 1024 * 1024);
    expect(rows * rowBytes).toBeGreaterThan(2 * softLimitBytes);
  });

  it("leaves every committed row in the database once reopened", async () => {
    await transactions.close();
    await dataSource.destroy();
    dataSource = await openDataSource({ kind: "sqlite", file }, { withoutMigrations: true });
    expect(Number((await dataSource.query(`SELECT COUNT(*) AS n FROM filler`))[0].n)).toBe(900);
    transactions = new TransactionRunner(dataSource);
  });

  it("lets waiting writers go when the worker ends on its own, and reports it once", async () => {
    const exiting = path.join(dir, "exiting-worker.mjs");
    fs.writeFileSync(exiting, "process.exit(3);\n");
    // Another database whose log is past the soft limit, so that its writers would wait for the worker.
    const other = path.join(dir, "other.sqlite");
    fs.writeFileSync(`${other}-wal`, Buffer.alloc(SqliteCheckpointer.SOFT_LIMIT_WAL_BYTES + 1));
    const logged: string[] = [];
    const checkpointer = new SqliteCheckpointer(other, (message) => logged.push(message), { minIntervalMs: 10, idleMs: 1000 }, exiting);
    try {
      const waiting = checkpointer.catchUp();
      expect(waiting).toBeInstanceOf(Promise);
      await expect(Promise.race([waiting, sleep(5000).then(() => "still waiting")])).resolves.toBeUndefined();
      expect(logged).toHaveLength(1);
      expect(checkpointer.catchUp()).toBeUndefined();
    } finally {
      await checkpointer.close();
    }
  });

  it("reports a worker that cannot run once, and stops starting it", async () => {
    const logged: string[] = [];
    const checkpointer = new SqliteCheckpointer(file, (message) => logged.push(message), { minIntervalMs: 10, idleMs: 1000 }, path.join(dir, "missing-worker.mjs"));
    try {
      for (let i = 0; i < 5; i++) {
        checkpointer.committed();
        await sleep(100);
      }
      expect(logged).toHaveLength(1);
      expect(checkpointer.last).toBeUndefined();
    } finally {
      await checkpointer.close();
    }
  });
});
