import { Role } from "../auth/role";
import { canControlAnyCall, canWatchAnyAgent, Viewer } from "../auth/viewer";
import { forbidden } from "../common/errors";
import type { RecordingEntity } from "./recording.entity";

/** Row rules: an agent without a supervisory role sees and controls only their own calls. */

export function assertMayControlAgent(viewer: Viewer, agentId: string): void {
  if (canControlAnyCall(viewer)) return;
  if (viewer.roles.has(Role.AGENT) && viewer.userId === agentId) return;
  throw forbidden("you may only pause or resume the recording of your own call");
}

export function mayViewAgent(viewer: Viewer, agentId: string): boolean {
  return canWatchAnyAgent(viewer) || viewer.roles.has(Role.API_USER) || viewer.userId === agentId;
}

export function assertMayViewRecording(viewer: Viewer, recording: Pick<RecordingEntity, "agentId">): void {
  if (!mayViewAgent(viewer, recording.agentId)) throw forbidden("you may only see recordings of your own calls");
}
