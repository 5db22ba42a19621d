import WebSocket from "ws";
import { Role } from "../src/auth/role";
import { gql, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { PAUSE, RESUME, Scenario, startCall, startScenarioApp, STATE_SUBSCRIPTION } from "./support/scenario";
import { recordTone } from "./support/record-audio";
import { TestApp } from "./support/test-app";

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

describe("recordingStateChanged over graphql-ws", () => {
  it("sends a snapshot first, then every change in order with sequence, states, actor, source and holds", async () => {
    const { recordingId, callId } = await startCall(t, s);
    const client = wsClient(t.wsUrl, s.agent.token);
    const watch = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { agentId: s.agent.id });
    const [snapshot] = await watch.waitFor(1);
    expect(snapshot.data?.recordingStateChanged).toMatchObject({ kind: "SNAPSHOT", recordingId, state: "RECORDING", sequence: 1, activeHolds: [] });

    await gql(t.url, PAUSE, { input: { agentId: s.agent.id } }, s.agent.token);
    await gql(t.url, PAUSE, { input: { agentId: s.agent.id, holdKey: "oms-card-field" } }, s.apiUser.token);
    await gql(t.url, RESUME, { input: { agentId: s.agent.id } }, s.agent.token);
    await gql(t.url, RESUME, { input: { agentId: s.agent.id, holdKey: "oms-card-field" } }, s.apiUser.token);
    await recordTone(t, s.apiUser.token, callId);
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);

    const messages = (await watch.waitFor(7)).map((m) => m.data?.recordingStateChanged);
    expect(messages.map((m) => [m.kind, m.sequence, m.previousState, m.state, m.activeHolds.length])).toEqual([
      ["SNAPSHOT", 1, null, "RECORDING", 0],
      ["CHANGE", 2, "RECORDING", "PAUSED", 1],
      ["CHANGE", 3, "PAUSED", "PAUSED", 2],
      ["CHANGE", 4, "PAUSED", "PAUSED", 1],
      ["CHANGE", 5, "PAUSED", "RECORDING", 0],
      ["CHANGE", 6, "RECORDING", "PROCESSING", 0],
      ["CHANGE", 7, "PROCESSING", "AVAILABLE", 0],
    ]);
    expect(messages[1]).toMatchObject({ actorId: s.agent.id, source: "AGENT_UI" });
    expect(messages[2]).toMatchObject({ actorId: s.apiUser.id, source: "API", activeHolds: [{ holderId: s.agent.id, holdKey: null }, { holderId: s.apiUser.id, holdKey: "oms-card-field" }] });
    expect(messages[6]).toMatchObject({ actorId: null, source: "SYSTEM" });
    watch.stop();
    await client.dispose();
  });

  it("follows the agent from call to call: a snapshot with no recording, then the next call's events", async () => {
    const client = wsClient(t.wsUrl, s.manager.token);
    const watch = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { agentId: s.otherAgent.email });
    const [snapshot] = await watch.waitFor(1);
    expect(snapshot.data?.recordingStateChanged).toMatchObject({ kind: "SNAPSHOT", recordingId: null, state: null, agentId: s.otherAgent.id });
    const { recordingId, callId } = await startCall(t, s, s.otherAgent);
    const [, started] = await watch.waitFor(2);
    expect(started.data?.recordingStateChanged).toMatchObject({ kind: "CHANGE", recordingId, sequence: 1, previousState: null, state: "RECORDING" });
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
    watch.stop();
    await client.dispose();
  });

  it("filters by recording and by customer", async () => {
    const first = await startCall(t, s);
    const second = await startCall(t, s, s.otherAgent);
    const client = wsClient(t.wsUrl, s.compliance.token);
    const byRecording = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { recordingId: second.recordingId });
    const byCustomer = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { customerId: s.customerId });
    await byRecording.waitFor(1);
    await byCustomer.waitFor(1);
    await gql(t.url, PAUSE, { input: { recordingId: first.recordingId } }, s.agent.token);
    await gql(t.url, PAUSE, { input: { recordingId: second.recordingId } }, s.otherAgent.token);
    const recordingMessages = await byRecording.waitFor(2);
    const customerMessages = await byCustomer.waitFor(3);
    expect(recordingMessages[1].data?.recordingStateChanged).toMatchObject({ recordingId: second.recordingId, state: "PAUSED" });
    expect(new Set(customerMessages.slice(1).map((m) => m.data?.recordingStateChanged.recordingId))).toEqual(new Set([first.recordingId, second.recordingId]));
    expect(await byRecording.quietFor(200)).toBe(0);
    await t.app.services.calls.end(s.apiUser.viewer, "t", first.callId);
    await t.app.services.calls.end(s.apiUser.viewer, "t", second.callId);
    await client.dispose();
  });

  it("ends a subscriber's open subscriptions when their roles change, so they resubscribe under the new roles", async () => {
    const supervisor = await t.user([Role.TEAM_MANAGER], "demoted");
    const client = wsClient(t.wsUrl, supervisor.token);
    const watch = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { agentId: s.agent.id });
    await watch.waitFor(1);
    const demoted = await gql(t.url, `mutation($id: ID!) { assignRoles(userId: $id, roles: [AGENT]) { id } }`, { id: supervisor.id }, s.admin.token);
    expect(demoted.errors).toBeUndefined();
    await watch.waitFor(2, 3000).catch(() => undefined);
    expect(watch.completed).toBe(true);
    const again = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { agentId: s.agent.id });
    const [refused] = await again.waitFor(1);
    expect(refused.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    await client.dispose();
  });

  it("refuses an unauthenticated connection_init", async () => {
    const closed = await new Promise<number>((resolve) => {
      const socket = new WebSocket(t.wsUrl, "graphql-transport-ws");
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: {} })));
      socket.on("message", (data) => {
        if (JSON.parse(String(data)).type === "connection_ack") resolve(-1);
      });
      socket.on("close", (code) => resolve(code));
    });
    expect(closed).toBe(4403);
  });
});
