import { may, Session } from "./session";

export type ScreenId = "agent" | "floor" | "timeline" | "audit" | "admin" | "oms";

export interface ScreenInfo {
  id: ScreenId;
  title: string;
  /** GraphQL operations the screen cannot work without; it is shown only when the user may call all of them. */
  needs: string[];
  developmentOnly?: boolean;
}

/**
 * Which screen uses which operations. Who may use each operation is not written here: it comes from the server
 * (the schema's @auth declarations), so a role change or a changed rule shows up without a new console.
 */
export const SCREENS: ScreenInfo[] = [
  { id: "agent", title: "Voice Control", needs: ["Subscription.recordingStateChanged", "Mutation.pauseRecording", "Mutation.resumeRecording"] },
  { id: "floor", title: "Team floor", needs: ["Query.agents", "Subscription.recordingStateChanged", "Mutation.resumeRecording"] },
  { id: "timeline", title: "Conversation Timeline", needs: ["Query.customers", "Query.customerTimeline", "Subscription.customerTimelineChanged"] },
  { id: "audit", title: "Audit log", needs: ["Query.auditLog", "Query.verifyAuditChain"] },
  { id: "admin", title: "Users and roles", needs: ["Query.users", "Mutation.createUser", "Mutation.assignRoles"] },
  { id: "oms", title: "Demo order form", needs: ["Mutation.pauseRecording"], developmentOnly: true },
];

export const allowedScreens = (session: Session) =>
  SCREENS.filter((screen) => (!screen.developmentOnly || session.demo) && screen.needs.every((operation) => may(session, operation)));
