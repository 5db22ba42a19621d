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
  /** A recording transition its state does not allow (the table in recordings/recording-state-machine.ts). */
  IllegalTransition: "ILLEGAL_TRANSITION",
  Conflict: "CONFLICT",
  RateLimited: "RATE_LIMITED",
  /** A download link whose signature does not verify: forged, altered or garbled. */
  DownloadLinkInvalid: "DOWNLOAD_LINK_INVALID",
  /** A genuine download link past its expiry, or issued for audio that has since been replaced (redaction). */
  DownloadLinkExpired: "DOWNLOAD_LINK_EXPIRED",
  /** A legal hold keeps the recording: delete, redaction and retention refuse; details name the hold. */
  LegalHold: "LEGAL_HOLD",
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
