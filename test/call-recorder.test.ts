/**
 * The Gladly-compatible REST call-recorder API: GET/PATCH /api/v1/agents/{agentId}/call-recorder with bearer
 * tokens and with HTTP Basic (e-mail + an issued API token), against the real server and a real subscriber.
 */
import type { Client } from "graphql-ws";
import { Role } from "../src/auth/role";
import { codesOf, gql, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { createScenario, RESUME, Scenario, startCall, STATE_SUBSCRIPTION } from "./support/scenario";
import { startTestApp, TestApp } from "./support/test-app";

let t: TestApp;
let s: Scenario;
let base: string;
const clients: Client[] = [];

beforeAll(async () => {
  t = await startTestApp();
  s = await createScenario(t);
  base = t.url.replace(/\/graphql$/, "");
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await t.close();
});

const bearer = (token: string) => `Bearer ${token}`;
const basic = (email: string, token: string) => `Basic ${Buffer.from(`${email}:${token}`).toString("base64")}`;

function recorder(agentRef: string) {
  return `${base}/api/v1/agents/${encodeURIComponent(agentRef)}/call-recorder`;
}

async function getStatus(agentRef: string, authorization: string) {
  const response = await fetch(recorder(agentRef), { headers: { authorization } });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function patch(agentRef: string, authorization: string, body: unknown, holdKey?: string) {
  const response = await fetch(recorder(agentRef), {
    method: "PATCH",
    headers: { authorization, "content-type": "application/json", ...(holdKey ? { "x-hold-key": holdKey } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

async function issueToken(userId: string): Promise<string> {
  const issued = await gql(t.url, `mutation($u: ID!) { issueApiToken(userId: $u, label: "OMS") { token userId } }`, { u: userId }, s.admin.token);
  expect(issued.errors).toBeUndefined();
  return issued.data?.issueApiToken.token as string;
}

describe("REST call-recorder API", () => {
  it("GET/PATCH round trip by agent email with HTTP Basic; ids omitted when the agent is on no call", async () => {
    const token = await issueToken(s.apiUser.id);
    const auth = basic(s.apiUser.email, token);
    const idle = await getStatus(s.otherAgent.email, auth);
    expect(idle).toEqual({ status: 200, body: { agentId: s.otherAgent.id, recording: false } });

    const { recordingId } = await startCall(t, s, s.otherAgent);
    expect(await getStatus(s.otherAgent.email, auth)).toEqual({
      status: 200,
      body: { agentId: s.otherAgent.id, customerId: s.customerId, conversationItemId: recordingId, recording: true },
    });
    expect(await patch(s.otherAgent.email, auth, { recording: false })).toEqual({ status: 204, body: undefined });
    expect((await getStatus(s.otherAgent.id, auth)).body.recording).toBe(false);
    const paused = await gql(t.url, `query($id: ID!) { recording(id: $id) { state activeHolds { holderId holdKey source } } }`, { id: recordingId }, s.manager.token);
    expect(paused.data?.recording).toEqual({ state: "PAUSED", activeHolds: [{ holderId: s.apiUser.id, holdKey: "rest-call-recorder", source: "API" }] });
    expect(await patch(s.otherAgent.email, auth, { recording: true })).toEqual({ status: 204, body: undefined });
    expect((await getStatus(s.otherAgent.email, auth)).body.recording).toBe(true);

    const audit = await gql(t.url, `query($id: ID!) { auditLog(first: 10, filter: { targetId: $id }) { edges { node { action actorId } } } }`, { id: recordingId }, s.compliance.token);
    const actions = (audit.data?.auditLog.edges as { node: { action: string; actorId: string } }[]).map((e) => e.node);
    expect(actions).toEqual(
      expect.arrayContaining([
        { action: "RECORDING_PAUSED", actorId: s.apiUser.id },
        { action: "RECORDING_RESUMED", actorId: s.apiUser.id },
      ]),
    );
  });

  it("answers 404 not_exist for an unknown agent, 400 for a bad body, 401 for bad credentials, 403 for a role the API does not allow", async () => {
    const auth = bearer(s.apiUser.token);
    const unknown = await getStatus("nobody@test.example", auth);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors).toEqual([{ code: "not_exist", detail: expect.any(String) }]);
    expect((await patch("00000000-0000-4000-8000-000000000000", auth, { recording: false })).body?.errors[0].code).toBe("not_exist");

    expect((await patch(s.agent.email, auth, { recording: "no" })).status).toBe(400);
    const garbled = await fetch(recorder(s.agent.email), { method: "PATCH", headers: { authorization: auth, "content-type": "application/json" }, body: "{recording" });
    expect(garbled.status).toBe(400);
    expect(await garbled.json()).toEqual({ errors: [{ code: "invalid", detail: "body must be JSON" }] });
    expect((await patch(s.agent.email, auth, {})).body?.errors[0]).toMatchObject({ code: "invalid", attr: "recording" });

    const token = await issueToken(s.apiUser.id);
    const wrongEmail = await getStatus(s.agent.email, basic(s.agent.email, token));
    expect(wrongEmail.status).toBe(401);
    expect((await getStatus(s.agent.email, basic(s.apiUser.email, `${token}x`))).status).toBe(401);
    const anonymous = await fetch(recorder(s.agent.email));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic/);

    // An ADMINISTRATOR may read the status (Query.agentRecordingStatus) but not pause (Mutation.pauseRecording).
    expect((await getStatus(s.agent.email, bearer(s.admin.token))).status).toBe(200);
    expect(await patch(s.agent.email, bearer(s.admin.token), { recording: false })).toMatchObject({ status: 403, body: { errors: [{ code: "forbidden" }] } });
    // Another agent's call is not an agent's to pause (the service's row rule).
    expect((await patch(s.agent.email, bearer(s.otherAgent.token), { recording: false })).status).toBe(403);
  });

  it("a PATCH pause reaches the agent's subscriber at once, and its hold survives the agent's own resume", async () => {
    const agent = await t.user([Role.AGENT], "rest-agent");
    const { recordingId } = await startCall(t, s, agent);
    const client = wsClient(t.wsUrl, agent.token);
    clients.push(client);
    const watch = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { agentId: agent.id });
    expect((await watch.waitFor(1))[0].data?.recordingStateChanged).toMatchObject({ kind: "SNAPSHOT", state: "RECORDING" });

    const started = Date.now();
    expect((await patch(agent.email, bearer(s.apiUser.token), { recording: false }, "oms-card-field")).status).toBe(204);
    const [, paused] = await watch.waitFor(2, 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(paused.data?.recordingStateChanged).toMatchObject({
      kind: "CHANGE",
      recordingId,
      state: "PAUSED",
      source: "API",
      actorId: s.apiUser.id,
      activeHolds: [{ holderId: s.apiUser.id, holdKey: "oms-card-field" }],
    });

    // The agent pauses and resumes with their own button: only the agent's hold goes; the OMS hold keeps it paused.
    await gql(t.url, `mutation($i: PauseRecordingInput!) { pauseRecording(input: $i) { state } }`, { i: { agentId: agent.id } }, agent.token);
    const resumed = await gql(t.url, RESUME, { input: { agentId: agent.id } }, agent.token);
    expect(codesOf(resumed)).toEqual([]);
    expect(resumed.data?.resumeRecording).toMatchObject({ state: "PAUSED", activeHolds: [{ holderId: s.apiUser.id, holdKey: "oms-card-field" }] });
    expect((await getStatus(agent.email, bearer(s.apiUser.token))).body.recording).toBe(false);

    // Releasing a key the API user does not hold changes nothing; its own key resumes.
    expect((await patch(agent.email, bearer(s.apiUser.token), { recording: true })).status).toBe(204);
    expect((await getStatus(agent.email, bearer(s.apiUser.token))).body.recording).toBe(false);
    expect((await patch(agent.email, bearer(s.apiUser.token), { recording: true }, "oms-card-field")).status).toBe(204);
    expect((await getStatus(agent.email, bearer(s.apiUser.token))).body.recording).toBe(true);
    const last = (await watch.waitFor(5))[4];
    expect(last.data?.recordingStateChanged).toMatchObject({ state: "RECORDING", activeHolds: [] });
    watch.stop();
  });

  it("PATCH on an agent with no live call is a clear 409, not a silent no-op", async () => {
    const idle = await t.user([Role.AGENT], "rest-idle");
    const answer = await patch(idle.email, bearer(s.apiUser.token), { recording: false });
    expect(answer).toMatchObject({ status: 409, body: { errors: [{ code: "no_live_recording" }] } });
  });

  it("issued API tokens are stored only as hashes, and their issue is audited without the secret", async () => {
    const token = await issueToken(s.apiUser.id);
    const audit = await gql(t.url, `query($id: ID!) { auditLog(first: 10, filter: { targetId: $id, action: API_TOKEN_ISSUED }) { edges { node { actorId details } } } }`, { id: s.apiUser.id }, s.compliance.token);
    const entries = audit.data?.auditLog.edges as { node: { actorId: string; details: unknown } }[];
    expect(entries.map((e) => e.node.actorId)).toContain(s.admin.id);
    expect(JSON.stringify(entries)).not.toContain(token);
    const rows: { tokenHash: string }[] = await t.app.services.dataSource.query(`SELECT tokenHash FROM api_tokens`);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.tokenHash).not.toContain(token);
    }
  });
});
