import { hash } from "node:crypto";
import { stableStringify } from "../common/stable-json";

export const GENESIS_HASH = "0".repeat(64);

export interface HashedAuditContent {
  position: number;
  occurredAt: Date;
  actorId: string | null;
  actorRoles: string[];
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
  requestId: string;
  prevHash: string;
}

/** SHA-256 over the previous hash and every stored field, so altering, removing or reordering entries is detectable. */
export function hashAuditEntry(entry: HashedAuditContent): string {
  const content = stableStringify({
    position: entry.position,
    occurredAt: entry.occurredAt.toISOString(),
    actorId: entry.actorId,
    actorRoles: entry.actorRoles,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    details: entry.details,
    requestId: entry.requestId,
    prevHash: entry.prevHash,
  });
  return hash("sha256", content, "hex");
}
