import { DataSource, QueryFailedError, QueryRunner } from "typeorm";
import { isMysql } from "./data-source";

export type SqlRow = Record<string, unknown>;

export interface SqlResult {
  records: SqlRow[];
  /** Rows changed, for INSERT/UPDATE/DELETE. */
  affected: number;
}

/**
 * Hand-written SQL straight to the driver, for the statements every pause and every request make. Through
 * TypeORM each statement also paid for its logger and broadcaster hooks, a result copy and, on MySQL, a
 * promise wrapper that captured a stack trace and re-required a module per query: more CPU than MariaDB
 * spent running it. Errors are the driver's own (errno/code), which `isUniqueViolation` and the retry of
 * deadlocks read. Parameters are bound by the driver, never spliced into the text.
 */
interface MysqlCallbackConnection {
  query(sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void): void;
}

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
      if (Array.isArray(result)) return resolve({ records: result as SqlRow[], affected: 0 });
      resolve({ records: [], affected: (result as { affectedRows: number }).affectedRows });
    }),
  );
}

/** One statement of a batch. */
export interface SqlStatement {
  text: string;
  values: unknown[];
}

/**
 * Statements that run one after another on the runner's connection, in its transaction: on MySQL in ONE
 * round trip (a multi-statement query; execution stops at the first failing statement, whose error is
 * thrown), on SQLite one by one (in-process, nothing to save). The results come back in order.
 */
export async function runnerSqlBatch(runner: QueryRunner, statements: SqlStatement[]): Promise<SqlResult[]> {
  if (statements.length === 0) return [];
  const begin = unbegun.delete(runner);
  if (begin) statements = [{ text: START, values: [] }, ...statements];
  if (!isMysql(runner.connection) || statements.length === 1) {
    const results: SqlResult[] = [];
    for (const statement of statements) results.push(await runnerSql(runner, statement.text, statement.values));
    return results;
  }
  const connection = (await runner.connect()) as MysqlCallbackConnection;
  const text = statements.map((statement) => statement.text).join(";\n");
  const values = statements.flatMap((statement) => statement.values);
  return new Promise((resolve, reject) =>
    connection.query(text, values, (error, results) => {
      if (error) return reject(failed(text, values, error));
      resolve((results as unknown[]).slice(begin ? 1 : 0).map((result) => (Array.isArray(result) ? { records: result as SqlRow[], affected: 0 } : { records: [], affected: (result as { affectedRows: number }).affectedRows })));
    }),
  );
}

/**
 * MySQL transactions whose START TRANSACTION has not been sent yet: it travels with the transaction's first
 * statement (one round trip less per transaction; see `TransactionRunner`).
 */
const unbegun = new WeakSet<QueryRunner>();
const START = "START TRANSACTION";

/**
 * Marks the runner's transaction as started without a round trip: START TRANSACTION goes out with the first
 * statement, whether that is ours (runnerSql/runnerSqlBatch) or TypeORM's (its `query`). Returns whether it
 * was ever sent, for the caller to COMMIT or ROLLBACK only then.
 */
export function beginWithFirstStatement(runner: QueryRunner): { begun: () => boolean } {
  unbegun.add(runner);
  const query = runner.query.bind(runner) as (text: string, values?: unknown[], structured?: boolean) => Promise<unknown>;
  runner.query = (async (text: string, values?: unknown[], structured?: boolean) => {
    if (unbegun.delete(runner)) await query(START);
    return query(text, values, structured);
  }) as QueryRunner["query"];
  return { begun: () => !unbegun.has(runner) };
}

/** On the query runner's own connection (inside its transaction, if it has one). */
export async function runnerSql(runner: QueryRunner, sql: string, values: unknown[]): Promise<SqlResult> {
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
