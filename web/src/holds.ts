export interface Hold {
  holderId: string;
  holdKey: string | null;
  source: "AGENT_UI" | "API" | "SYSTEM";
}

/** The order system's card field holds its pause under this key (the help page's example). */
export const OMS_HOLD_KEY = "oms-card-field";

/** Who a hold belongs to, in words an agent understands. */
export function holderName(hold: Hold, myId: string): string {
  if (hold.holdKey === OMS_HOLD_KEY) return "the order system";
  if (hold.holderId === myId) return "you";
  if (hold.source === "API") return hold.holdKey ? `an integration (${hold.holdKey})` : "an integration";
  return "a supervisor";
}

export const formatTime = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }) : "—");

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
