import { createConnection } from "mysql2/promise";

export interface CheckpointAge {
  /** Redo written since InnoDB's last checkpoint, MB. */
  ageMb: number;
  /** Where InnoDB starts flushing synchronously (every statement waits), MB. */
  maxMb: number;
}

type Connection = Awaited<ReturnType<typeof createConnection>>;

const status = async (connection: Connection): Promise<CheckpointAge & { dirtyPages: number }> => {
  const [rows] = await connection.query(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_checkpoint_age', 'Innodb_checkpoint_max_age', 'Innodb_buffer_pool_pages_dirty')",
  );
  const value = (name: string) => Number((rows as { Variable_name: string; Value: string }[]).find((row) => row.Variable_name === name)?.Value ?? NaN);
  return { ageMb: value("Innodb_checkpoint_age") / 1e6, maxMb: value("Innodb_checkpoint_max_age") / 1e6, dirtyPages: value("Innodb_buffer_pool_pages_dirty") };
};

const withConnection = async <T>(url: string, work: (connection: Connection) => Promise<T>): Promise<T> => {
  const connection = await createConnection(url);
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
};

/**
 * Flushes InnoDB's dirty pages so that a measurement starts with the redo log checkpointed. MariaDB's packaged
 * settings never flush while idle (`innodb_max_dirty_pages_pct_lwm` = 0), so without this each run inherits the
 * redo its predecessors wrote, and whichever run pushes it past InnoDB's flushing thresholds stalls for up to a
 * second: the bimodal pause→CHANGE p99 of earlier passes. The server's setting is put back afterwards.
 * Returns the checkpoint age before and after; undefined when the server refuses (no privilege, not InnoDB).
 */
export function settleInnoDB(url: string, timeoutMs = 30_000): Promise<{ before: CheckpointAge; after: CheckpointAge } | undefined> {
  return withConnection(url, async (connection) => {
    const before = await status(connection);
    const [[{ pct }]] = (await connection.query("SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct")) as unknown as [[{ pct: number }]];
    await connection.query("SET GLOBAL innodb_max_dirty_pages_pct = 0");
    try {
      const until = Date.now() + timeoutMs;
      while ((await status(connection)).dirtyPages > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await connection.query("SET GLOBAL innodb_max_dirty_pages_pct = ?", [Number(pct)]);
    }
    // The checkpoint follows the flush by a moment.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return { before, after: await status(connection) };
  }).catch(() => undefined);
}

export const checkpointAge = (url: string): Promise<CheckpointAge> => withConnection(url, status);
