import { badInput } from "./errors";

/**
 * The reason a compliance action must carry: trimmed, not empty, bounded. One function so that a stricter
 * check (e.g. refusing reasons of only invisible characters) replaces it everywhere at once.
 */
export function requiredReason(raw: string | null | undefined, field: string, max: number, what: string): string {
  const reason = (raw ?? "").trim();
  if (!reason) throw badInput(`a reason is required to ${what}`, field);
  if (reason.length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  return reason;
}
