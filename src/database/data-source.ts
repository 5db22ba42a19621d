import fs from "node:fs";
import path from "node:path";
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
      migrations: (options.withoutMigrations ? [] : SQLITE_MIGRATIONS) as MixedList<Function>,
    });
  }
  return new DataSource({
    ...common,
    type: "mysql",
    url: database.url,
    timezone: "Z",
    charset: "utf8mb4_unicode_ci",
    poolSize: 20,
    migrations: (options.withoutMigrations ? [] : MYSQL_MIGRATIONS) as MixedList<Function>,
  });
}

export const isMysql = (dataSource: DataSource) => dataSource.options.type === "mysql";
