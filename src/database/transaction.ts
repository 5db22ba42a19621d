import { DataSource, EntityManager } from "typeorm";
import { isMysql } from "./data-source";
import { SqliteCheckpointer } from "./sqlite-checkpointer";
import { SqliteWalSync } from "./sqlite-wal-sync";
import { rootLog } from "../logging/logger";
import { beginWithFirstStatement, committedWithBatch, runnerSql, runnerSqlBatch, SqlBatchOptions, SqlResult, SqlStatement } from "./raw-sql";

type AfterCommit = () => void | Promise<void>;

export interface UnitOfWork {
  manager: EntityManager;
  /** For hand-written SQL on hot paths: MySQL/MariaDB quote identifiers with backticks, SQLite with double quotes. */
  dialect: "mysql" | "sqlite";
  /** Hand-written SQL on this unit's connection, straight to the driver (see raw-sql.ts): for hot paths. */
  sql(text: string, values: unknown[]): Promise<SqlResult>;
  /**
   * Several writes in one round trip on MySQL (see runnerSqlBatch); their results in order. With `commit`
   * they are the unit's last: COMMIT travels with them and the unit may send nothing more.
   */
  sqlBatch(statements: SqlStatement[], options?: SqlBatchOptions): Promise<SqlResult[]>;
  /** Row lock for reads that precede a write; SQLite needs none (writes are serialized below). */
  lock: { mode: "pessimistic_write" } | undefined;
  /** Runs once the transaction has committed, never on rollback: where events are published. */
  afterCommit(fn: AfterCommit): void;
  /** 1 for the unit's first run, then 2, 3, … as it is run again after a conflict. */
  attempt: number;
}

function ownRunner(manager: EntityManager) {
  if (!manager.queryRunner) throw new Error("a unit of work always runs on its own query runner");
  return manager.queryRunner;
}

/** Thrown when a conditional update finds the row changed underneath it; the whole unit is retried. */
export class ConcurrentModificationError extends Error {
  constructor(
    what: string,
    /** Nothing to wait for (a cached read turned out stale, no lock was contended): run again without backing off. */
    readonly retryAtOnce = false,
  ) {
    super(`${what} changed concurrently`);
    this.name = "ConcurrentModificationError";
  }
}

const MAX_ATTEMPTS = 8;
/** Pooled MySQL connections already switched to READ COMMITTED for their session. */
const readCommittedConnections = new WeakSet<object>();
const MYSQL_RETRYABLE = new Set([1213 /* deadlock */, 1205 /* lock wait timeout */]);

function isRetryable(error: unknown): boolean {
  if (error instanceof ConcurrentModificationError) return true;
  const errno = (error as { errno?: number; driverError?: { errno?: number } })?.driverError?.errno ?? (error as { errno?: number })?.errno;
  return errno !== undefined && MYSQL_RETRYABLE.has(errno);
}

/** The transaction has committed by now, so a failing callback is logged rather than failing the request. */
async function runAfterCommit(callbacks: AfterCommit[]): Promise<void> {
  for (const fn of callbacks) {
    try {
      await fn();
    } catch (error) {
      rootLog("after-commit callback failed", error);
    }
  }
}

interface QueuedUnit {
  work: (manager: EntityManager) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Units committed together on SQLite: one fsync for the batch instead of one per unit. */
const SQLITE_GROUP_MAX = 64;

export class TransactionRunner {
  /** better-sqlite3 has one connection, so TypeORM would nest concurrent transactions into one: queue them. */
  private readonly sqliteQueue: QueuedUnit[] = [];
  private sqliteDraining = false;
  private readonly mysql: boolean;

  private readonly walSync: SqliteWalSync | undefined;
  private readonly checkpointer: SqliteCheckpointer | undefined;
  private checkpointBackstopSet = false;

  constructor(private readonly dataSource: DataSource) {
    this.mysql = isMysql(dataSource);
    const file = (dataSource.options as { database?: string }).database;
    this.walSync = this.mysql ? undefined : SqliteWalSync.of(file);
    this.checkpointer = this.walSync && file ? new SqliteCheckpointer(file, rootLog) : undefined;
  }

  /** Stops the SQLite checkpoint thread (the database itself is closed by its owner). */
  async close(): Promise<void> {
    await this.checkpointer?.close();
  }

  async run<T>(work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const callbacks: AfterCommit[] = [];
      // On SQLite the runner is shared by a group of units, so "nothing after the last batch" is kept per unit.
      let closed = false;
      const open = () => {
        if (closed) throw new Error("this unit of work already sent its last batch: nothing more may be sent on it");
      };
      try {
        const unit = (manager: EntityManager) =>
          work({
            manager,
            dialect: this.mysql ? "mysql" : "sqlite",
            lock: this.mysql ? { mode: "pessimistic_write" } : undefined,
            afterCommit: (fn) => callbacks.push(fn),
            attempt,
            sql: (text, values) => (open(), runnerSql(ownRunner(manager), text, values)),
            sqlBatch: (statements, options) => {
              open();
              closed = options?.commit === true;
              return runnerSqlBatch(ownRunner(manager), statements, options);
            },
          });
        const result = this.mysql ? await this.transaction(unit) : ((await this.enqueue(unit)) as T);
        await runAfterCommit(callbacks);
        return result;
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
        if (error instanceof ConcurrentModificationError && error.retryAtOnce) continue;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }

  /**
   * READ COMMITTED on MySQL: every read after taking the row lock sees the latest committed rows, not the
   * snapshot of the transaction's first read (REPEATABLE READ would hand back holds older than the lock).
   * It is set once per pooled connection rather than before every transaction (one round trip less each).
   */
  private async transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.mysql) return this.dataSource.transaction(fn);
    const runner = this.dataSource.createQueryRunner();
    try {
      const connection = (await runner.connect()) as object;
      if (!readCommittedConnections.has(connection)) {
        await runner.query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
        readCommittedConnections.add(connection);
      }
      // Started as far as TypeORM can tell (its own writes will not open a nested transaction), but START
      // TRANSACTION is only sent with the first statement: one round trip less per transaction.
      const transactionState = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
      transactionState.isTransactionActive = true;
      transactionState.transactionDepth = 1;
      const { begun } = beginWithFirstStatement(runner);
      try {
        const result = await fn(runner.manager);
        if (begun() && !committedWithBatch(runner)) await runnerSql(runner, "COMMIT", []);
        return result;
      } catch (error) {
        // Committed with its last batch and failing after it: the writes stand, so the unit must not run again.
        if (committedWithBatch(runner)) throw new Error(`the unit of work failed after it committed: ${(error as Error)?.message ?? error}`, { cause: error });
        // A batch that was to COMMIT and failed stopped at its failing statement: the transaction is still open.
        if (begun()) await runnerSql(runner, "ROLLBACK", []).catch(() => undefined);
        throw error;
      } finally {
        transactionState.isTransactionActive = false;
        transactionState.transactionDepth = 0;
      }
    } finally {
      await runner.release();
    }
  }

  private enqueue(work: (manager: EntityManager) => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.sqliteQueue.push({ work, resolve, reject });
      if (!this.sqliteDraining) {
        // Started after this event-loop turn's I/O: the requests read in the same turn join the batch (one
        // COMMIT, one sync for all). Started at once, the first unit committed alone before the others queued.
        this.sqliteDraining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /**
   * Group commit on SQLite: the units waiting in the queue run one after another in ONE transaction, each
   * inside its own SAVEPOINT (a failing unit is rolled back alone and fails alone), and one COMMIT and one
   * sync of the write-ahead log (off the event loop, see SqliteWalSync) make the batch durable. A unit's
   * promise settles only after that sync, so nothing is reported (or published) before it is durable.
   */
  private async drain(): Promise<void> {
    this.sqliteDraining = true;
    try {
      while (this.sqliteQueue.length > 0) {
        // The loop stays free meanwhile: only the queued writers wait, and the log starts over after.
        const caughtUp = this.checkpointer?.catchUp();
        if (caughtUp) await caughtUp;
        const batch = this.sqliteQueue.splice(0, SQLITE_GROUP_MAX);
        const outcomes: { ok: boolean; value: unknown }[] = [];
        const runner = this.dataSource.createQueryRunner();
        // SAVEPOINT, RELEASE, BEGIN and COMMIT straight to the driver (prepared once): through TypeORM's query
        // each paid for its hooks, a few times per pause. TypeORM is told the transaction is open, so a unit's
        // own TypeORM writes do not start one of their own.
        const transactionState = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
        const control = (statement: string) => runnerSql(runner, statement, []);
        const settle = () => batch.forEach((unit, i) => (outcomes[i].ok ? unit.resolve(outcomes[i].value) : unit.reject(outcomes[i].value)));
        let committed = false;
        try {
          // The COMMIT does not sync (NORMAL); the WAL is synced off the loop below before anyone hears of it.
          if (this.walSync) await control("PRAGMA synchronous = NORMAL");
          if (this.checkpointer && !this.checkpointBackstopSet) {
            await control(`PRAGMA wal_autocheckpoint = ${SqliteCheckpointer.BACKSTOP_WAL_PAGES}`);
            await control(`PRAGMA journal_size_limit = ${SqliteCheckpointer.SOFT_LIMIT_WAL_BYTES}`);
            this.checkpointBackstopSet = true;
          }
          await control("BEGIN");
          transactionState.isTransactionActive = true;
          transactionState.transactionDepth = 1;
          for (const unit of batch) {
            await control("SAVEPOINT unit_of_work");
            try {
              const value = await unit.work(runner.manager);
              await control("RELEASE unit_of_work");
              outcomes.push({ ok: true, value });
            } catch (error) {
              await control("ROLLBACK TO unit_of_work");
              await control("RELEASE unit_of_work");
              outcomes.push({ ok: false, value: error });
            }
          }
          await control("COMMIT");
          committed = true;
        } catch (error) {
          await control("ROLLBACK").catch(() => undefined);
          for (const unit of batch) unit.reject(error);
        } finally {
          transactionState.isTransactionActive = false;
          transactionState.transactionDepth = 0;
          // Writes made outside a group (not through a unit of work) keep syncing as they commit.
          if (this.walSync) await control("PRAGMA synchronous = FULL").catch((error) => rootLog("restoring synchronous = FULL failed", error));
          await runner.release();
        }
        if (!committed) continue;
        this.checkpointer?.committed();
        if (!this.walSync) settle();
        // Not awaited: the next group runs while this one's WAL syncs; each group is answered after its own sync.
        else
          this.walSync.sync().then(settle, (error) => {
            rootLog("syncing the SQLite write-ahead log failed: the group's units are reported as failed", error);
            for (const unit of batch) unit.reject(error);
          });
      }
    } finally {
      this.sqliteDraining = false;
    }
  }
}
