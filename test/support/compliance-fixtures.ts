import { Role } from "../../src/auth/role";
import { recordTone } from "./record-audio";
import type { Scenario } from "./scenario";
import type { TestApp, TestUser } from "./test-app";

/** A finished call with real audio for `agent` of `customerId`: its recording is AVAILABLE with an encrypted MP3. */
export async function availableRecording(t: TestApp, s: Scenario, options: { customerId?: string; agent?: TestUser } = {}): Promise<{ callId: string; recordingId: string }> {
  const agent = options.agent ?? (await t.user([Role.AGENT], "fixture-agent"));
  const { call, recording } = await t.app.services.calls.start(s.apiUser.viewer, "test-setup", { customerId: options.customerId ?? s.customerId, agentRef: agent.id });
  await recordTone(t, s.apiUser.token, call.id);
  await t.app.services.calls.end(s.apiUser.viewer, "test-setup", call.id);
  return { callId: call.id, recordingId: recording.id };
}

export async function newCustomer(t: TestApp, s: Scenario, name = "Compliance Test Customer"): Promise<string> {
  return (await t.app.services.customers.create(s.apiUser.viewer, "test-setup", name)).id;
}
