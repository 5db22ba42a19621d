/** Timestamps in hand-written SQL: "YYYY-MM-DD HH:MM:SS.mmm" UTC, exactly what TypeORM writes to DATETIME(3) and SQLite text. */
export const dbTime = (at: Date) => at.toISOString().replace("T", " ").replace("Z", "");

/** mysql2 reads DATETIME as a Date (the pool's timezone is UTC); SQLite hands back the text. */
export function fromDbTime(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
}
