/**
 * Expected failures, raised by services and mapped to GraphQL errors at the edge.
 * The code is the stable contract clients branch on; the message is for people.
 */
export const ErrorCode = {
  Unauthenticated: "UNAUTHENTICATED",
  Forbidden: "FORBIDDEN",
  NotFound: "NOT_FOUND",
  BadUserInput: "BAD_USER_INPUT",
  NoLiveRecording: "NO_LIVE_RECORDING",
  RecordingNotLive: "RECORDING_NOT_LIVE",
  RecordingInProgress: "RECORDING_IN_PROGRESS",
  RecordingNotAvailable: "RECORDING_NOT_AVAILABLE",
  CallNotActive: "CALL_NOT_ACTIVE",
  AgentBusy: "AGENT_BUSY",
  Conflict: "CONFLICT",
  RateLimited: "RATE_LIMITED",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const notFound = (what: string, id: string) =>
  new DomainError(ErrorCode.NotFound, `${what} ${JSON.stringify(id)} was not found`, { id });

export const badInput = (message: string, field?: string) =>
  new DomainError(ErrorCode.BadUserInput, message, field ? { field } : {});

export const forbidden = (message: string) => new DomainError(ErrorCode.Forbidden, message);
