import { forbidden } from "../common/errors";
import { Role } from "./role";
import type { Viewer } from "./viewer";

/**
 * Row rules, all of them: which rows a caller whose operation-level permission already passed may touch.
 * An agent without a supervisory or integration role sees and controls only their own calls.
 */

const hasAnyRole = (viewer: Viewer, roles: readonly Role[]) => roles.some((role) => viewer.roles.has(role));

/** Supervisors and integrations act on any agent's call. */
export const controlsAnyCall = (viewer: Viewer) => hasAnyRole(viewer, [Role.TEAM_MANAGER, Role.API_USER]);

/** Who may follow any agent's live state (the integration reads, but does not watch). */
export const watchesAnyAgent = (viewer: Viewer) => hasAnyRole(viewer, [Role.TEAM_MANAGER, Role.ADMINISTRATOR, Role.COMPLIANCE_ADMINISTRATOR]);

/** True when the caller's only reach is their own calls: queries and streams are narrowed to them. */
export const seesOnlyOwnCalls = (viewer: Viewer) => !watchesAnyAgent(viewer) && !viewer.roles.has(Role.API_USER);

export const mayViewAgent = (viewer: Viewer, agentId: string) => !seesOnlyOwnCalls(viewer) || viewer.userId === agentId;

export function assertMayControlAgent(viewer: Viewer, agentId: string): void {
  if (controlsAnyCall(viewer)) return;
  if (viewer.roles.has(Role.AGENT) && viewer.userId === agentId) return;
  throw forbidden("you may only pause or resume the recording of your own call");
}

export function assertMayViewRecording(viewer: Viewer, recording: { agentId: string }): void {
  if (!mayViewAgent(viewer, recording.agentId)) throw forbidden("you may only see recordings of your own calls");
}
