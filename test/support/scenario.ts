import { Role } from "../../src/auth/role";
import { startTestApp, TestApp, TestAppOptions, TestUser } from "./test-app";

export interface Scenario {
  admin: TestUser;
  compliance: TestUser;
  manager: TestUser;
  agent: TestUser;
  otherAgent: TestUser;
  apiUser: TestUser;
  customerId: string;
}

/** One user per role, two agents and a customer. */
export async function createScenario(t: TestApp): Promise<Scenario> {
  const [admin, compliance, manager, agent, otherAgent, apiUser] = [
    await t.user([Role.ADMINISTRATOR], "admin"),
    await t.user([Role.COMPLIANCE_ADMINISTRATOR], "compliance"),
    await t.user([Role.TEAM_MANAGER], "manager"),
    await t.user([Role.AGENT], "agent"),
    await t.user([Role.AGENT], "other-agent"),
    await t.user([Role.API_USER], "oms"),
  ];
  const customer = await t.app.services.customers.create(apiUser.viewer, "test-setup", "Test Customer");
  return { admin, compliance, manager, agent, otherAgent, apiUser, customerId: customer.id };
}

/** Starts a call for the agent through the service; returns the call and recording ids. */
export async function startCall(t: TestApp, s: Scenario, agent: TestUser = s.agent) {
  const { call, recording } = await t.app.services.calls.start(s.apiUser.viewer, "test-setup", { customerId: s.customerId, agentRef: agent.id });
  return { callId: call.id, recordingId: recording.id };
}

export const PAUSE = /* GraphQL */ `
  mutation Pause($input: PauseRecordingInput!) {
    pauseRecording(input: $input) { id state sequence activeHolds { holderId holdKey reason source } }
  }
`;

export const RESUME = /* GraphQL */ `
  mutation Resume($input: ResumeRecordingInput!) {
    resumeRecording(input: $input) { id state sequence activeHolds { holderId holdKey reason source } }
  }
`;

export const STATE_SUBSCRIPTION = /* GraphQL */ `
  subscription Watch($agentId: ID, $recordingId: ID, $customerId: ID) {
    recordingStateChanged(agentId: $agentId, recordingId: $recordingId, customerId: $customerId) {
      kind recordingId agentId sequence previousState state actorId source activeHolds { holderId holdKey }
    }
  }
`;

/** The real app on a fresh database with the standard scenario: one line of setup for a test file. */
export async function startScenarioApp(options: TestAppOptions = {}): Promise<{ t: TestApp; s: Scenario }> {
  const t = await startTestApp(options);
  return { t, s: await createScenario(t) };
}
