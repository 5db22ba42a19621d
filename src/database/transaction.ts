import { DataSource, EntityManager } from "typeorm";
import { isMysql } from "./data-source";
import { rootLog } from "../logging/logger";

type AfterCommit = () => void | Promise<void>;

export interface UnitOfWork {
  manager: EntityManager;
  /** For hand-written SQL on hot paths: MySQL/MariaDB quote identifiers with backticks, SQLite with double quotes. */
  dialect: "mysql" | "sqlite";
  /** Row lock for reads that precede a write; SQLite needs none (writes are serialized below). */
  lock: { mode: "pessimistic_write" } | undefined;
  /** Runs once the transaction has committed, never on rollback: where events are published. */
  afterCommit(fn: AfterCommit): void;
}

/** Thrown when a conditional update finds the row changed underneath it; the whole unit is retried. */
export class ConcurrentModificationError extends Error {
  constructor(what: string) {
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

export class TransactionRunner {
  /** better-sqlite3 has one connection, so TypeORM would nest concurrent transactions into one: queue them. */
  private sqliteQueue: Promise<unknown> = Promise.resolve();
  private readonly mysql: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.mysql = isMysql(dataSource);
  }

  async run<T>(work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const callbacks: AfterCommit[] = [];
      try {
        const result = await this.serialize(() =>
          this.transaction((manager) =>
            work({
              manager,
              dialect: this.mysql ? "mysql" : "sqlite",
              lock: this.mysql ? { mode: "pessimistic_write" } : undefined,
              afterCommit: (fn) => callbacks.push(fn),
            }),
          ),
        );
        await runAfterCommit(callbacks);
        return result;
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
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
      await runner.startTransaction();
      try {
        const result = await fn(runner.manager);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    if (this.mysql) return fn();
    const next = this.sqliteQueue.then(fn, fn);
    this.sqliteQueue = next.catch(() => undefined);
    return next;
  }
}
