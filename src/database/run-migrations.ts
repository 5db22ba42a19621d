import type { DataSource } from "typeorm";
import { isMysql } from "./data-source";

const LOCK_NAME = "callvault_migrations";
const LOCK_WAIT_SECONDS = 120;

/**
 * Applies pending migrations, one instance at a time: a fleet starting together would otherwise race to
 * create the same tables. On MySQL/MariaDB a named lock (GET_LOCK) serializes them; the instances that
 * wait find nothing left to apply. SQLite is one process by design.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<void> {
  if (!isMysql(dataSource)) {
    await dataSource.runMigrations({ transaction: "each" });
    return;
  }
  const runner = dataSource.createQueryRunner();
  try {
    const [row] = await runner.query(`SELECT GET_LOCK(?, ?) AS acquired`, [LOCK_NAME, LOCK_WAIT_SECONDS]);
    if (Number(row?.acquired) !== 1) throw new Error(`another instance held the migration lock for ${LOCK_WAIT_SECONDS} s; is a migration stuck?`);
    try {
      await dataSource.runMigrations({ transaction: "each" });
    } finally {
      await runner.query(`SELECT RELEASE_LOCK(?)`, [LOCK_NAME]);
    }
  } finally {
    await runner.release();
  }
}
