import type { DataSource } from "typeorm";
import type { Role } from "../auth/role";
import type { Viewer } from "../auth/viewer";
import { dataSourceSql } from "../database/raw-sql";

/** Ids per query: one IN list stays small enough for every driver's parameter limit and the plan stays an index lookup. */
const MAX_IDS_PER_QUERY = 100;

interface Waiting {
  resolve: (viewer: Viewer | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Reads viewers (the user and the roles they hold now) for the requests and sockets the cache cannot answer,
 * batched: the lookups asked for while one event-loop turn's I/O is handled go to the database as ONE query. Under load that is one
 * round trip for many requests instead of one each; alone, a request waits only for the end of its turn.
 * It keeps nothing itself: `ViewerCache` keeps what it read, and role changes drop that (see UserService).
 */
export class ViewerLoader {
  private waiting = new Map<string, Waiting[]>();
  private scheduled = false;

  constructor(private readonly dataSource: DataSource) {}

  load(userId: string): Promise<Viewer | undefined> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(userId);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(userId, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = new Map();
    const ids = [...batch.keys()];
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_QUERY) void this.query(ids.slice(i, i + MAX_IDS_PER_QUERY), batch);
  }

  private async query(ids: string[], batch: Map<string, Waiting[]>): Promise<void> {
    try {
      const sql = `SELECT u.id AS id, u.email AS email, r.role AS role FROM users u LEFT JOIN user_roles r ON r.userId = u.id WHERE u.id IN (${ids.map(() => "?").join(", ")})`;
      const rows = (await dataSourceSql(this.dataSource, sql, ids)).records as { id: string; email: string; role: Role | null }[];
      const found = new Map<string, { email: string; roles: Role[] }>();
      for (const row of rows) {
        const user = found.get(row.id) ?? found.set(row.id, { email: row.email, roles: [] }).get(row.id)!;
        if (row.role) user.roles.push(row.role);
      }
      for (const id of ids) {
        const user = found.get(id);
        const viewer: Viewer | undefined = user && { userId: id, email: user.email, roles: new Set(user.roles.sort()) };
        for (const waiting of batch.get(id)!) waiting.resolve(viewer);
      }
    } catch (error) {
      for (const id of ids) for (const waiting of batch.get(id)!) waiting.reject(error);
    }
  }
}
