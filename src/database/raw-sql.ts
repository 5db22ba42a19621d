import { DataSource, QueryFailedError, QueryRunner } from "typeorm";
import { isMysql } from "./data-source";
import { COMMIT, MysqlCallbackConnection, MysqlGroupCommit, START } from "./mysql-group-commit";

export type SqlRow = Record<string, unknown>;

/** Hand-written SQL quotes identifiers the standard way ("name"); MySQL and MariaDB take backticks. */
export const forDialect = (sql: string, mysql: boolean): string => (mysql ? sql.replace(/"/g, "`") : sql);

export interface SqlResult {
  records: SqlRow[];
  /** Rows changed, for INSERT/UPDATE/DELETE. */
  affected: number;
}

/*
 * This module: hand-written SQL straight to the driver, for the statements every pause and every request make. Through
 * TypeORM each statement also paid for its logger and broadcaster hooks, a result copy and, on MySQL, a
 * promise wrapper that captured a stack trace and re-required a module per query: more CPU than MariaDB
 * spent running it. Errors are the driver's own (errno/code), which `isUniqueViolation` and the retry of
 * deadlocks read. Parameters are bound by the driver, never spliced into the text.
 */

interface SqliteStatement {
  reader: boolean;
  all(...values: unknown[]): SqlRow[];
  run(...values: unknown[]): { changes: number };
}

interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

const sqliteStatements = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();

function runSqlite(database: SqliteDatabase, sql: string, values: unknown[]): SqlResult {
  try {
    const cache = sqliteStatements.get(database) ?? sqliteStatements.set(database, new Map()).get(database)!;
    let statement = cache.get(sql);
    if (!statement) {
      statement = database.prepare(sql);
      cache.set(sql, statement);
    }
    return statement.reader ? { records: statement.all(...values), affected: 0 } : { records: [], affected: statement.run(...values).changes };
  } catch (error) {
    throw failed(sql, values, error);
  }
}

/** The driver's error as TypeORM reports it (the statement in the message, `driverError` for codes): logs and retries read it. */
const failed = (sql: string, values: unknown[], error: unknown) => new QueryFailedError(sql, values, error as Error);

function runMysql(connection: MysqlCallbackConnection, sql: string, values: unknown[]): Promise<SqlResult> {
  return new Promise((resolve, reject) =>
    connection.query(sql, values, (error, result) => {
      if (error) return reject(failed(sql, values, error));
      resolve(toResult(result));
    }),
  );
}

/** One statement of a batch. */
export interface SqlStatement {
  text: string;
  values: unknown[];
  /**
   * The statement must change exactly one row (a conditional UPDATE … WHERE sequence = ?), else this error is
   * thrown and no later statement of the batch runs. On MySQL the check runs in SQL, right after it, so it
   * holds even when COMMIT travels in the same batch.
   */
  mustChangeOneRow?: () => Error;
  /**
   * The statement must not wait for a row lock another transaction holds: it fails at once instead, with a lock
   * wait timeout (`isLockNotAvailable`). On MariaDB the statement itself gives up (SET STATEMENT
   * innodb_lock_wait_timeout = 0 FOR …); MySQL's timeout cannot go below one second, so there `claim` (a
   * SELECT … FOR UPDATE NOWAIT of the row) is sent right before it. SQLite has no row locks.
   */
  noWait?: { claim: SqlStatement };
}

export interface SqlBatchOptions {
  /**
   * The unit's last writes: COMMIT goes out with them (on MySQL in the same round trip), and nothing may be
   * sent on the unit afterwards. On SQLite the group commit commits, as for every unit.
   */
  commit?: boolean;
}

/**
 * A scalar subquery that returns two rows unless the previous statement changed exactly one: MySQL and
 * MariaDB then fail the statement (1242) and stop the multi-statement batch there, before any COMMIT.
 * (MySQL has no SIGNAL outside stored programs.)
 */
const ONE_ROW_CHANGED_GUARD = "SELECT (SELECT 1 FROM DUAL WHERE ROW_COUNT() <> 1 UNION ALL SELECT 1 FROM DUAL WHERE ROW_COUNT() <> 1) AS one_row_changed";
const ER_SUBQUERY_NO_1_ROW = 1242;

/** MySQL transactions whose COMMIT went out with their last batch: nothing more may be sent on them. */
const committedRunners = new WeakSet<QueryRunner>();
export const committedWithBatch = (runner: QueryRunner) => committedRunners.has(runner);

function assertOpen(runner: QueryRunner): void {
  if (committedRunners.has(runner)) throw new Error("this unit of work already committed with its last batch: nothing more may be sent on it");
}

const toResult = (result: unknown): SqlResult =>
  Array.isArray(result) ? { records: result as SqlRow[], affected: 0 } : { records: [], affected: (result as { affectedRows: number }).affectedRows };

/**
 * Statements that run one after another on the runner's connection, in its transaction: on MySQL in ONE
 * round trip (a multi-statement query; execution stops at the first failing statement, whose error is
 * thrown), on SQLite one by one (in-process, nothing to save). The results come back in order.
 */
export async function runnerSqlBatch(runner: QueryRunner, statements: SqlStatement[], options: SqlBatchOptions = {}): Promise<SqlResult[]> {
  assertOpen(runner);
  if (statements.length === 0 && !options.commit) return [];
  const mysql = isMysql(runner.connection);
  if (!mysql) {
    const results: SqlResult[] = [];
    for (const statement of statements) {
      const result = runSqlite(driverConnection(runner.connection) as SqliteDatabase, statement.text, statement.values);
      if (statement.mustChangeOneRow && result.affected !== 1) throw statement.mustChangeOneRow();
      results.push(result);
    }
    return results;
  }
  // Nothing was ever sent on this unit: nothing to commit either.
  if (statements.length === 0 && unbegun.has(runner)) return [];
  const mariadb = runner.connection.options.type === "mariadb";
  const { texts, own, values } = batchTexts(statements, mariadb);
  const failure = (error: unknown) => batchFailure(statements, texts, values, error);
  // The unit's first statements are its last: they can be committed together with other units' (one round trip for all).
  if (options.commit && unbegun.has(runner)) {
    const results = await groupCommitOf(runner.connection).submit({ runner, texts, own, values, failure, results: (sets) => sets.map(toResult) });
    committedRunners.add(runner);
    return results;
  }
  const begin = unbegun.delete(runner);
  // The text sent: [START TRANSACTION;] the statements and their guards [; COMMIT].
  if (begin) {
    texts.unshift(START);
    own.unshift(false);
  }
  if (options.commit) {
    texts.push(COMMIT);
    own.push(false);
  }
  const connection = (await runner.connect()) as MysqlCallbackConnection;
  const text = texts.join(";\n");
  const results = await new Promise<unknown[]>((resolve, reject) =>
    connection.query(text, values, (error, results) => {
      // One statement alone comes back as its own result, several as an array of them.
      if (!error) return resolve(texts.length === 1 ? [results] : (results as unknown[]));
      reject(failure(error));
    }),
  );
  if (options.commit) committedRunners.add(runner);
  return results.filter((_, i) => own[i]).map(toResult);
}

/**
 * Each statement [; its guard], a no-wait statement as MariaDB or MySQL takes it, and their values in order;
 * `own` marks the statements whose results are the caller's.
 */
function batchTexts(statements: SqlStatement[], mariadb: boolean): { texts: string[]; own: boolean[]; values: unknown[] } {
  const texts: string[] = [];
  const own: boolean[] = [];
  const values: unknown[] = [];
  for (const statement of statements) {
    if (statement.noWait && !mariadb) {
      texts.push(statement.noWait.claim.text);
      own.push(false);
      values.push(...statement.noWait.claim.values);
    }
    texts.push(statement.noWait && mariadb ? `SET STATEMENT innodb_lock_wait_timeout = 0 FOR ${statement.text}` : statement.text);
    own.push(true);
    values.push(...statement.values);
    if (statement.mustChangeOneRow) {
      texts.push(ONE_ROW_CHANGED_GUARD);
      own.push(false);
    }
  }
  return { texts, own, values };
}

/** A failed batch's error: the guarded statement's own when its guard stopped the batch, else the driver's. */
function batchFailure(statements: SqlStatement[], texts: string[], values: unknown[], error: unknown): unknown {
  const guarded = statements.find((statement) => statement.mustChangeOneRow);
  if (guarded && (error as { errno?: number }).errno === ER_SUBQUERY_NO_1_ROW) return guarded.mustChangeOneRow!();
  return failed(texts.join(";\n"), values, error);
}

const groupCommits = new WeakMap<DataSource, MysqlGroupCommit>();
/** The data source's group commits so far (MySQL; undefined before the first): for the benchmark and operators. */
export const groupCommitStats = (dataSource: DataSource) => groupCommits.get(dataSource)?.stats;
const groupCommitOf = (dataSource: DataSource) => groupCommits.get(dataSource) ?? groupCommits.set(dataSource, new MysqlGroupCommit()).get(dataSource)!;

/**
 * MySQL transactions whose START TRANSACTION has not been sent yet: it travels with the transaction's first
 * statement (one round trip less per transaction; see `TransactionRunner`).
 */
const unbegun = new WeakSet<QueryRunner>();

/**
 * Marks the runner's transaction as started without a round trip: START TRANSACTION goes out with the first
 * statement, whether that is ours (runnerSql/runnerSqlBatch) or TypeORM's (its `query`). Returns whether it
 * was ever sent, for the caller to COMMIT or ROLLBACK only then.
 */
export function beginWithFirstStatement(runner: QueryRunner): { begun: () => boolean } {
  unbegun.add(runner);
  const query = runner.query.bind(runner) as (text: string, values?: unknown[], structured?: boolean) => Promise<unknown>;
  runner.query = (async (text: string, values?: unknown[], structured?: boolean) => {
    assertOpen(runner);
    if (unbegun.delete(runner)) await query(START);
    return query(text, values, structured);
  }) as QueryRunner["query"];
  return { begun: () => !unbegun.has(runner) };
}

/** On the query runner's own connection (inside its transaction, if it has one). */
export async function runnerSql(runner: QueryRunner, sql: string, values: unknown[]): Promise<SqlResult> {
  assertOpen(runner);
  if (unbegun.has(runner)) return (await runnerSqlBatch(runner, [{ text: sql, values }]))[0];
  if (isMysql(runner.connection)) return runMysql((await runner.connect()) as MysqlCallbackConnection, sql, values);
  return runSqlite(driverConnection(runner.connection) as SqliteDatabase, sql, values);
}

/** Outside any transaction: any pooled MySQL connection, or SQLite's one connection. */
export function dataSourceSql(dataSource: DataSource, sql: string, values: unknown[]): Promise<SqlResult> {
  if (isMysql(dataSource)) return runMysql((dataSource.driver as unknown as { pool: MysqlCallbackConnection }).pool, sql, values);
  return Promise.resolve(runSqlite(driverConnection(dataSource) as SqliteDatabase, sql, values));
}

const driverConnection = (dataSource: DataSource) => (dataSource.driver as unknown as { databaseConnection: unknown }).databaseConnection;
