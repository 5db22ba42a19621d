import { Role } from "../src/auth/role";
import { gql, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { PAUSE, RESUME, Scenario, startCall, startScenarioApp, STATE_SUBSCRIPTION } from "./support/scenario";
import { TestApp, TestUser } from "./support/test-app";

/**
 * Short and bounded: 200 agents pause and resume their own calls at once. Every subscriber gets every
 * CHANGE of its own agent, in sequence order, none missing; the audit chain verifies afterwards.
 */
const AGENTS = 200;
const PAIRS = 3;

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

it(`${AGENTS} agents pausing and resuming concurrently: every change delivered in order, the audit chain intact`, async () => {
  const agents: TestUser[] = await Promise.all(Array.from({ length: AGENTS }, (_, i) => t.user([Role.AGENT], `load-${i}`)));
  const calls = await Promise.all(agents.map((agent) => startCall(t, s, agent)));

  const clients = agents.map((agent) => wsClient(t.wsUrl, agent.token));
  const watches = agents.map((agent, i) => new SubscriptionRecorder(clients[i], STATE_SUBSCRIPTION, { agentId: agent.id }));
  await Promise.all(watches.map((watch) => watch.waitFor(1, 30_000)));

  await Promise.all(
    agents.map(async (agent, i) => {
      for (let pair = 0; pair < PAIRS; pair++) {
        const paused = await gql(t.url, PAUSE, { input: { agentId: agent.id } }, agent.token);
        expect(paused.errors).toBeUndefined();
        const resumed = await gql(t.url, RESUME, { input: { recordingId: calls[i].recordingId } }, agent.token);
        expect(resumed.errors).toBeUndefined();
      }
    }),
  );

  const expected = 1 + 2 * PAIRS;
  await Promise.all(watches.map((watch) => watch.waitFor(expected, 30_000)));
  expect(await Promise.all(watches.map((watch) => watch.quietFor(100)))).toEqual(watches.map(() => 0));
  for (const [i, watch] of watches.entries()) {
    const messages = watch.messages.map((m) => m.data?.recordingStateChanged);
    expect(messages[0]).toMatchObject({ kind: "SNAPSHOT", agentId: agents[i].id, recordingId: calls[i].recordingId, sequence: 1, state: "RECORDING" });
    expect(messages.slice(1).map((m) => [m.kind, m.agentId, m.sequence, m.state])).toEqual(
      Array.from({ length: 2 * PAIRS }, (_, k) => ["CHANGE", agents[i].id, k + 2, k % 2 === 0 ? "PAUSED" : "RECORDING"]),
    );
  }
  await Promise.all(clients.map((client) => client.dispose()));

  const verified = await t.app.services.audit.verify();
  expect(verified).toMatchObject({ valid: true, firstInvalidPosition: null, unchainedEntries: 0 });
  expect(verified.checkedEntries).toBeGreaterThanOrEqual(AGENTS * (2 + 2 * PAIRS));
}, 180_000);
