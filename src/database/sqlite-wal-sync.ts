import fs from "node:fs/promises";

/**
 * Makes a SQLite write-ahead log durable off the event loop. A group commit COMMITs with
 * `synchronous = NORMAL` (the WAL frames are written, not synced: microseconds instead of a sync on the event
 * loop), then this syncs the WAL file in libuv's thread pool, and only then are the group's units told they
 * committed. What was acknowledged is as durable as with `synchronous = FULL`, and the loop serves requests
 * (and runs the next group) while the disk syncs.
 */
export class SqliteWalSync {
  private running: Promise<void> | undefined;
  /** The sync that starts when the running one ends: every group committed meanwhile shares it. */
  private next: Promise<void> | undefined;

  constructor(private readonly walPath: string) {}

  /**
   * Resolves once everything written to the WAL before the call is on disk. One sync runs at a time: groups
   * that commit while it runs share the next one (a sync covers all that was written before it started).
   */
  sync(): Promise<void> {
    if (!this.running) return (this.running = this.syncNow().finally(() => (this.running = undefined)));
    if (!this.next) {
      this.next = this.running
        .catch(() => undefined)
        .then(() => {
          this.next = undefined;
          return this.sync();
        });
    }
    return this.next;
  }

  private async syncNow(): Promise<void> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.walPath, "r");
    } catch (error) {
      // No WAL file: the last connection closed, and SQLite checkpointed it into the database and synced that.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** For a file database (an in-memory one has no WAL to sync). */
  static of(databaseFile: string | undefined): SqliteWalSync | undefined {
    return databaseFile && databaseFile !== ":memory:" ? new SqliteWalSync(`${databaseFile}-wal`) : undefined;
  }
}
