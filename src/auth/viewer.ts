import { Role } from "./role";

/** Who is making a request, with the roles read from the database for this request. */
export interface Viewer {
  userId: string;
  email: string;
  roles: ReadonlySet<Role>;
}

export interface RequestContext {
  viewer: Viewer | undefined;
  requestId: string;
  /** When the request (or WebSocket operation) arrived, stamped before any await: a pause takes effect from it. */
  receivedAt: Date;
}

export const hasAnyRole = (viewer: Viewer, roles: readonly Role[]) => roles.some((role) => viewer.roles.has(role));

/** Supervisory roles act on any agent's call; an AGENT alone acts only on their own. */
export const canControlAnyCall = (viewer: Viewer) => hasAnyRole(viewer, [Role.TEAM_MANAGER, Role.API_USER]);

export const canWatchAnyAgent = (viewer: Viewer) =>
  hasAnyRole(viewer, [Role.TEAM_MANAGER, Role.ADMINISTRATOR, Role.COMPLIANCE_ADMINISTRATOR]);
