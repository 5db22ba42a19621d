import { DomainError } from "../common/errors";

export type Severity = "debug" | "info" | "error";

/** A client that went away mid-request or mid-stream: ordinary on the internet, not a fault of ours. */
const HANG_UP_CODES = new Set(["EPIPE", "ECONNRESET", "ECONNABORTED", "ETIMEDOUT", "ERR_STREAM_PREMATURE_CLOSE", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};

/**
 * How loud an error is: client hang-ups at debug, refusals of what a client sent (domain errors, 4xx,
 * WebSocket protocol violations such as an oversized frame) at info, anything else at error with its stack.
 */
export function severityOf(error: unknown): Severity {
  const code = codeOf(error);
  if (code && HANG_UP_CODES.has(code)) return "debug";
  // Libraries re-wrap socket errors and keep only the text ("Error: write EPIPE").
  if (/\b(EPIPE|ECONNRESET|ECONNABORTED)\b|socket hang up|aborted/i.test((error as Error)?.message ?? "") && !(error instanceof TypeError)) return "debug";
  if (code?.startsWith("WS_ERR_")) return "info";
  if (error instanceof DomainError) return "info";
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) return "info";
  return "error";
}

/** One line about an expected error, for logs that carry no stack. */
export function describeBriefly(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code}: ${message}` : message;
}
