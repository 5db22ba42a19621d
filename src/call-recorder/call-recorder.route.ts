import express, { ErrorRequestHandler, Express, Request, Response } from "express";
import { DomainError, ErrorCode } from "../common/errors";
import { mayCall, OperationPermissions } from "../http/operation-permissions";
import type { RecordingControlService } from "../recordings/recording-control.service";
import type { RecordingQueryService } from "../recordings/recording-query.service";
import { ControlSource, RecordingState } from "../recordings/recording-state";
import type { RestAuthenticator } from "./rest-authenticator";

export const CALL_RECORDER_PATH = "/api/v1/agents/:agentId/call-recorder";
export const DEFAULT_REST_HOLD_KEY = "rest-call-recorder";

/** The GraphQL operation whose `@auth` declaration governs each REST method: one rule, two transports. */
const GOVERNED_BY = {
  GET: "Query.agentRecordingStatus",
  pause: "Mutation.pauseRecording",
  resume: "Mutation.resumeRecording",
} as const;

export interface CallRecorderDependencies {
  auth: RestAuthenticator;
  control: RecordingControlService;
  recordings: RecordingQueryService;
  permissions: OperationPermissions;
  log: (message: string, error?: unknown) => void;
}

/** Gladly's error shape: `{ errors: [{ code, detail, attr? }] }`. */
const REST_ERRORS: Partial<Record<string, { status: number; code: string }>> = {
  [ErrorCode.Unauthenticated]: { status: 401, code: "unauthorized" },
  [ErrorCode.Forbidden]: { status: 403, code: "forbidden" },
  [ErrorCode.NotFound]: { status: 404, code: "not_exist" },
  [ErrorCode.BadUserInput]: { status: 400, code: "invalid" },
  [ErrorCode.NoLiveRecording]: { status: 409, code: "no_live_recording" },
  [ErrorCode.RecordingNotLive]: { status: 409, code: "recording_not_live" },
};

/**
 * Gladly-compatible call-recorder API. GET answers whether the agent's live call is being recorded; PATCH
 * `{"recording": false|true}` pauses or resumes it as the caller's hold (key from X-Hold-Key), through the same
 * service, holds, audit entries and events as the GraphQL mutations.
 */
export function mountCallRecorderRoutes(app: Express, deps: CallRecorderDependencies): void {
  app.get(CALL_RECORDER_PATH, (req, res) => handle(req, res, deps, () => getStatus(req, deps)));
  app.patch(CALL_RECORDER_PATH, express.json({ limit: "4kb" }), (req, res) => handle(req, res, deps, () => patchRecording(req, deps)));
  app.use(CALL_RECORDER_PATH, unreadableBody);
}

/** A body that is not JSON (or too large) is answered in Gladly's error shape too. */
const unreadableBody: ErrorRequestHandler = (error, _req, res, next) => {
  const status = typeof error?.status === "number" && error.status < 500 ? error.status : undefined;
  if (res.headersSent || status === undefined) return next(error);
  res.status(status).json({ errors: [{ code: "invalid", detail: status === 413 ? "body too large" : "body must be JSON" }] });
};

type Answer = { status: 200; body: object } | { status: 204 };

async function getStatus(req: Request<{ agentId: string }>, deps: CallRecorderDependencies): Promise<Answer> {
  const viewer = await deps.auth.authenticate(req.headers.authorization);
  requireOperation(deps, GOVERNED_BY.GET, viewer.roles);
  const { agent, recording } = await deps.recordings.agentStatus(viewer, req.params.agentId);
  const body = recording
    ? { agentId: agent.id, customerId: recording.customerId, conversationItemId: recording.id, recording: recording.state === RecordingState.RECORDING }
    : { agentId: agent.id, recording: false };
  return { status: 200, body };
}

async function patchRecording(req: Request<{ agentId: string }>, deps: CallRecorderDependencies): Promise<Answer> {
  // A pause takes effect from when the integration asked for it, before authentication and lookups.
  const requestedAt = new Date();
  const viewer = await deps.auth.authenticate(req.headers.authorization);
  const recording = (req.body as { recording?: unknown } | undefined)?.recording;
  if (typeof recording !== "boolean") throw new DomainError(ErrorCode.BadUserInput, 'body must be {"recording": true} or {"recording": false}', { field: "recording" });
  requireOperation(deps, recording ? GOVERNED_BY.resume : GOVERNED_BY.pause, viewer.roles);
  const holdKey = headerValue(req.headers["x-hold-key"]) ?? DEFAULT_REST_HOLD_KEY;
  const target = { agentRef: req.params.agentId };
  const requestId = req.requestId ?? "rest";
  if (recording) await deps.control.resume(viewer, requestId, { target, holdKey, force: false, source: ControlSource.API });
  else await deps.control.pause(viewer, requestId, { target, holdKey, source: ControlSource.API, requestedAt });
  return { status: 204 };
}

function requireOperation(deps: CallRecorderDependencies, operation: string, roles: Iterable<string>): void {
  if (!mayCall(deps.permissions, operation, roles)) {
    throw new DomainError(ErrorCode.Forbidden, `this requires one of the roles ${deps.permissions[operation]?.join(", ")}`);
  }
}

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)?.trim() || undefined;

async function handle(req: Request, res: Response, deps: CallRecorderDependencies, run: () => Promise<Answer>): Promise<void> {
  res.setHeader("Cache-Control", "no-store");
  try {
    const answer = await run();
    if (answer.status === 204) res.status(204).end();
    else res.status(200).json(answer.body);
  } catch (error) {
    const mapped = error instanceof DomainError ? REST_ERRORS[error.code] : undefined;
    if (!mapped) {
      deps.log(`call-recorder request ${req.requestId} failed`, error);
      res.status(500).json({ errors: [{ code: "internal_error", detail: "internal error" }] });
      return;
    }
    if (mapped.status === 401) res.setHeader("WWW-Authenticate", 'Basic realm="callvault", charset="UTF-8"');
    const attr = (error as DomainError).details.field;
    res.status(mapped.status).json({ errors: [{ code: mapped.code, detail: (error as DomainError).message, ...(typeof attr === "string" ? { attr } : {}) }] });
  }
}
