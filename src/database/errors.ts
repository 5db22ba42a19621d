/** True for a duplicate key on MySQL/MariaDB (errno 1062) or a UNIQUE constraint failure on SQLite. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { driverError?: { errno?: number; code?: string }; errno?: number; code?: string };
  const errno = e?.driverError?.errno ?? e?.errno;
  const code = e?.driverError?.code ?? e?.code;
  return errno === 1062 || code === "ER_DUP_ENTRY" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/**
 * True when a statement that must not wait (`SqlStatement.noWait`) found the row locked: MySQL 8 answers its
 * `FOR UPDATE NOWAIT` claim with 3572, MariaDB a lock wait timeout (1205).
 */
export function isLockNotAvailable(error: unknown): boolean {
  const e = error as { driverError?: { errno?: number }; errno?: number };
  const errno = e?.driverError?.errno ?? e?.errno;
  return errno === 3572 || errno === 1205;
}
