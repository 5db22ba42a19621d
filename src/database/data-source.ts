import fs from "node:fs";
import path from "node:path";
import { createConnection } from "mysql2/promise";
import { DataSource, MixedList } from "typeorm";
import type { DatabaseConfig } from "../config/config";
import { ENTITIES } from "./entities";
import { MYSQL_MIGRATIONS } from "./migrations/mysql";
import { SQLITE_MIGRATIONS } from "./migrations/sqlite";

export interface DataSourceOptions {
  /** Leave the migration list empty: used when generating a new migration against the current schema. */
  withoutMigrations?: boolean;
}

/** Migrations, never synchronize: the schema only changes through reviewed, versioned files. */
export function createDataSource(database: DatabaseConfig, options: DataSourceOptions = {}): DataSource {
  const common = {
    entities: ENTITIES,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: "schema_migrations",
    logging: false as const,
  };
  if (database.kind === "sqlite") {
    fs.mkdirSync(path.dirname(database.file), { recursive: true });
    return new DataSource({
      ...common,
      type: "better-sqlite3",
      database: database.file,
      enableWAL: true,
      // Group commit runs each unit in a SAVEPOINT: SQLite keeps its undo pages in a statement journal, a
      // temporary file unless told otherwise; in memory it costs a copy instead of a file write per page.
      prepareDatabase: (db: { pragma(source: string): unknown }) => void db.pragma("temp_store = MEMORY"),
      migrations: (options.withoutMigrations ? [] : SQLITE_MIGRATIONS) as MixedList<Function>,
    });
  }
  return new DataSource({
    ...common,
    // TypeORM reads MariaDB's column metadata differently (quoted defaults); the flavor must match the server.
    type: database.flavor ?? "mysql",
    url: database.url,
    timezone: "Z",
    charset: "utf8mb4_unicode_ci",
    poolSize: 20,
    // A transition's writes travel as one multi-statement query (raw-sql.ts). Every value is bound by the
    // driver's escaping, never spliced into SQL text, so this does not widen what a caller can inject.
    multipleStatements: true,
    migrations: (options.withoutMigrations ? [] : MYSQL_MIGRATIONS) as MixedList<Function>,
  });
}

export const isMysql = (dataSource: DataSource) => dataSource.options.type === "mysql" || dataSource.options.type === "mariadb";

/** Asks the server whether it is MySQL or MariaDB when the URL did not say (mysql:// is used for both). */
export async function detectFlavor(database: DatabaseConfig): Promise<DatabaseConfig> {
  if (database.kind !== "mysql" || database.flavor) return database;
  const connection = await createConnection(database.url);
  try {
    const [rows] = await connection.query("SELECT VERSION() AS version");
    const version = String((rows as { version: string }[])[0].version);
    return { ...database, flavor: /mariadb/i.test(version) ? "mariadb" : "mysql" };
  } finally {
    await connection.end();
  }
}

/** Creates and connects the data source, detecting the MySQL flavor first. */
export async function openDataSource(database: DatabaseConfig, options: DataSourceOptions = {}): Promise<DataSource> {
  const dataSource = createDataSource(await detectFlavor(database), options);
  await dataSource.initialize();
  return dataSource;
}
