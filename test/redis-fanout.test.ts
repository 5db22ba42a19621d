import Redis from "ioredis";
import { gql, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { createScenario, PAUSE, Scenario, startCall, STATE_SUBSCRIPTION } from "./support/scenario";
import { startTestApp, TestApp } from "./support/test-app";

const REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";

let first: TestApp;
let second: TestApp;
let s: Scenario;

beforeAll(async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await probe.connect().catch((error) => {
    throw new Error(`Redis is not reachable at ${REDIS_URL} (${error.message}); start it or set TEST_REDIS_URL`);
  });
  probe.disconnect();
  first = await startTestApp({ redisUrl: REDIS_URL });
  second = await startTestApp({ redisUrl: REDIS_URL, shareDatabaseWith: first });
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
