import { gql, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { createScenario, PAUSE, Scenario, startCall, STATE_SUBSCRIPTION } from "./support/scenario";
import { startTestApp, TestApp } from "./support/test-app";
import { connectTestRedis, TEST_REDIS_URL } from "./support/test-redis";

let first: TestApp;
let second: TestApp;
let s: Scenario;

beforeAll(async () => {
  (await connectTestRedis()).disconnect();
  first = await startTestApp({ redisUrl: TEST_REDIS_URL });
  second = await startTestApp({ redisUrl: TEST_REDIS_URL, shareDatabaseWith: first });
  s = await createScenario(first);
});
afterAll(async () => {
  await second?.close();
  await first?.close();
});

describe("events across instances through Redis", () => {
  it("delivers a pause made on one instance to a subscriber on another", async () => {
    const { recordingId, callId } = await startCall(first, s);
    const client = wsClient(second.wsUrl, s.manager.token);
    const watch = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { recordingId });
    await watch.waitFor(1);
    const paused = await gql(first.url, PAUSE, { input: { recordingId } }, s.agent.token);
    expect(paused.data?.pauseRecording.state).toBe("PAUSED");
    const [, change] = await watch.waitFor(2);
    expect(change.data?.recordingStateChanged).toMatchObject({ kind: "CHANGE", recordingId, state: "PAUSED", sequence: 2 });
    watch.stop();
    await client.dispose();
    await first.app.services.calls.end(s.apiUser.viewer, "t", callId);
  });
});
