import { fromDbTime } from "../database/sql-time";
import { type HashedAuditContent, hashAuditEntry } from "./audit-hash";

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

export interface ChainLink {
  id: string;
  position: number;
  prevHash: string;
  hash: string;
}

/** Chains stored entries, in the order given, after the head: each entry's hash covers the previous one's. */
export function linkAfterHead(head: { position: string | number; hash: string }, rows: StoredAuditRow[]): { links: ChainLink[]; head: { position: number; hash: string } } {
  let position = Number(head.position);
  let prevHash = head.hash;
  const links = rows.map((row) => {
    const entry = { ...fromStoredEntry(row), position: position + 1, prevHash };
    const hash = hashAuditEntry(entry);
    position = entry.position;
    prevHash = hash;
    return { id: String(row.id), position: entry.position, prevHash: entry.prevHash, hash };
  });
  return { links, head: { position, hash: prevHash } };
}
