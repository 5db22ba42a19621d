import "reflect-metadata";
import { ConfigError, loadConfig } from "../config/config";
import { openDataSource } from "../database/data-source";

/** Applies pending migrations to DATABASE_URL (or the embedded SQLite database) and exits. */
async function main(): Promise<void> {
  const dataSource = await openDataSource(loadConfig().database);
  try {
    const applied = await dataSource.runMigrations({ transaction: "each" });
    console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(", ")}` : "database is up to date");
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
