import { fromStoredEntry, StoredAuditRow } from "./audit-row";
import { hashAuditEntry } from "./audit-hash";

/** Where a walk along the chain stands: the position it expects next and the hash that entry must carry as prevHash. */
export interface ChainCursor {
  expected: number;
  prevHash: string;
}

/**
 * Checks stored entries, read in position order from `cursor.expected` on, up to `toPosition`: each must sit at the
 * position expected, carry the previous entry's hash and hash to what it stores. Advances the cursor; returns the
 * position that does not verify, "done" once `toPosition` verified, or "more" when the rows ran out before it.
 */
export function checkChainRows(cursor: ChainCursor, rows: StoredAuditRow[], toPosition: number): number | "done" | "more" {
  for (const row of rows) {
    const position = Number(row.position);
    if (position > toPosition) return "done";
    const entry = { ...fromStoredEntry(row), position, prevHash: String(row.prevHash) };
    if (position !== cursor.expected || entry.prevHash !== cursor.prevHash || hashAuditEntry(entry) !== row.hash) return cursor.expected;
    cursor.prevHash = String(row.hash);
    cursor.expected++;
  }
  return cursor.expected > toPosition ? "done" : "more";
}
