import express, { Express, Request, Response } from "express";
import type { Authenticator } from "../auth/authenticator";
import type { TokenService } from "../auth/token.service";
import { DomainError, ErrorCode } from "../common/errors";
import type { OperationPermissions } from "../http/operation-permissions";
import type { ApiTokenService } from "../users/api-token.service";
import type { UserService } from "../users/user.service";
import { CALL_RECORDER_PATH } from "../call-recorder/call-recorder.route";

export const CONSOLE_API = "/console";
/** The order system the demo card form speaks for: the seeded API_USER. */
export const DEMO_OMS_EMAIL = "oms@callvault.test";
export const OMS_CARD_HOLD_KEY = "oms-card-field";

export interface ConsoleRouteDependencies {
  authenticator: Authenticator;
  permissions: OperationPermissions;
  users: UserService;
  tokens: TokenService;
  apiTokens: ApiTokenService;
  /** Demo routes (token picker, OMS card form) exist only outside production: there they answer 404. */
  development: boolean;
  log: (message: string, error?: unknown) => void;
}

/**
 * What the console needs besides GraphQL: the permission map (read from the schema's `@auth` declarations,
 * so the browser holds no copy of the rules) and, in development only, the demo sign-in and the OMS form's
 * server side.
 */
export function mountConsoleRoutes(app: Express, deps: ConsoleRouteDependencies): void {
  app.get(`${CONSOLE_API}/permissions`, (req, res) =>
    answer(res, deps, async () => {
      await signedIn(deps, req);
      return { status: 200, body: { operations: deps.permissions } };
    }),
  );
  if (!deps.development) return;

  app.get(`${CONSOLE_API}/demo/users`, (_req, res) =>
    answer(res, deps, async () => {
      const users = await deps.users.list();
      const roles = await deps.users.rolesByUser(users.map((u) => u.id));
      return { status: 200, body: { users: users.map((u) => ({ email: u.email, displayName: u.displayName, roles: roles.get(u.id) ?? [] })) } };
    }),
  );
  app.post(`${CONSOLE_API}/demo/token`, express.json({ limit: "1kb" }), (req, res) =>
    answer(res, deps, async () => {
      const email = (req.body as { email?: unknown })?.email;
      if (typeof email !== "string") throw new DomainError(ErrorCode.BadUserInput, "email is required");
      const user = await deps.users.getByReference(email, "User");
      return { status: 200, body: { token: await deps.tokens.mint(user.id, 8 * 3600) } };
    }),
  );

  const omsCredentials = demoOmsCredentials(deps);
  app.post(`${CONSOLE_API}/demo/oms/card-field`, express.json({ limit: "1kb" }), (req, res) =>
    answer(res, deps, async () => {
      const agent = await signedIn(deps, req);
      const focused = (req.body as { focused?: unknown })?.focused;
      if (typeof focused !== "boolean") throw new DomainError(ErrorCode.BadUserInput, "focused must be true or false");
      // The order system's own integration: the REST call-recorder API with its API_USER credentials, never
      // a token in the page. Focus pauses (recording: false), blur resumes the order system's hold only.
      const response = await fetch(ownOrigin(req) + CALL_RECORDER_PATH.replace(":agentId", encodeURIComponent(agent.email)), {
        method: "PATCH",
        headers: { authorization: await omsCredentials(), "content-type": "application/json", "x-hold-key": OMS_CARD_HOLD_KEY },
        body: JSON.stringify({ recording: !focused }),
      });
      if (response.status === 204) return { status: 204 };
      return { status: response.status, body: await response.json().catch(() => ({ errors: [{ code: "internal_error" }] })) };
    }),
  );
}

/** Issues the demo order system an API token once per process (stored hashed like any other). */
function demoOmsCredentials(deps: ConsoleRouteDependencies): () => Promise<string> {
  let credentials: Promise<string> | undefined;
  return () => {
    credentials ??= (async () => {
      const oms = await deps.users.getByReference(DEMO_OMS_EMAIL, "Demo order system user");
      const { token } = await deps.apiTokens.issue(undefined, "demo-oms-form", oms.id, "demo OMS card form");
      return `Basic ${Buffer.from(`${oms.email}:${token}`).toString("base64")}`;
    })();
    credentials.catch(() => (credentials = undefined));
    return credentials;
  };
}

/** This server as the request reached it: the route calls the REST API on the very instance it runs on. */
function ownOrigin(req: Request): string {
  const address = (req.socket.localAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
  return `http://${address.includes(":") ? `[${address}]` : address}:${req.socket.localPort}`;
}

async function signedIn(deps: ConsoleRouteDependencies, req: Request) {
  const viewer = await deps.authenticator.authenticate(req.headers.authorization);
  if (!viewer) throw new DomainError(ErrorCode.Unauthenticated, "sign in: send Authorization: Bearer <token>");
  return viewer;
}

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.BadUserInput]: 400,
};

type Answer = { status: 204 } | { status: number; body: unknown };

async function answer(res: Response, deps: ConsoleRouteDependencies, run: () => Promise<Answer>): Promise<void> {
  res.setHeader("Cache-Control", "no-store");
  try {
    const result = await run();
    if ("body" in result) res.status(result.status).json(result.body);
    else res.status(result.status).end();
  } catch (error) {
    const status = error instanceof DomainError ? STATUS[error.code] : undefined;
    if (status === undefined) deps.log("console request failed", error);
    res.status(status ?? 500).json({ errors: [{ code: status ? (error as DomainError).code : "INTERNAL_SERVER_ERROR", message: status ? (error as Error).message : "internal error" }] });
  }
}
