import { fromDbTime } from "../database/sql-time";
import type { HashedAuditContent } from "./audit-hash";

/** An audit_entries row as either driver returns it from hand-written SQL. */
export type StoredAuditRow = Record<string, unknown>;

/** The hashed content of a stored entry, exactly as TypeORM's simple-json and datetime columns read it back. */
export function fromStoredEntry(row: StoredAuditRow): Omit<HashedAuditContent, "position" | "prevHash"> {
  return {
    occurredAt: fromDbTime(row.occurredAt) as Date,
    actorId: (row.actorId as string | null) ?? null,
    actorRoles: JSON.parse(String(row.actorRoles)),
    action: String(row.action),
    targetType: String(row.targetType),
    targetId: String(row.targetId),
    details: JSON.parse(String(row.details)),
    requestId: String(row.requestId),
  };
}
