import { PauseIntervalEntity } from "../src/recordings/pause-interval.entity";
import { lockRecording } from "../src/recordings/recording-store";
import { gql, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { PAUSE, RESUME, Scenario, startCall, startScenarioApp } from "./support/scenario";
import { TestApp } from "./support/test-app";
import { sleep } from "./support/ws-helpers";

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

const WATCH = /* GraphQL */ `
  subscription Watch($recordingId: ID) {
    recordingStateChanged(recordingId: $recordingId) { kind sequence state occurredAt effectiveAt }
  }
`;

const BLOCK_MS = 400;

describe("the pause instant", () => {
  it("starts the paused interval when the request arrived, not when its transaction got the lock", async () => {
    const { recordingId, callId } = await startCall(t, s);
    const client = wsClient(t.wsUrl, s.agent.token);
    const watch = new SubscriptionRecorder(client, WATCH, { recordingId });
    await watch.waitFor(1);

    // Another transaction holds the recording (MySQL: its row lock; SQLite: the one writer) for BLOCK_MS.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const blocker = t.app.services.transactions.run(async (uow) => {
      await lockRecording(uow, recordingId);
      await held;
    });
    await sleep(20);
    const sentAt = Date.now();
    const pausing = gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token);
    await sleep(BLOCK_MS);
    const releasedAt = Date.now();
    release();
    await blocker;
    expect((await pausing).data?.pauseRecording.state).toBe("PAUSED");

    const [interval] = await t.app.services.dataSource.getRepository(PauseIntervalEntity).find({ where: { recordingId } });
    expect(interval.startedAt.getTime()).toBeGreaterThanOrEqual(sentAt - 5);
    expect(interval.startedAt.getTime()).toBeLessThan(releasedAt - BLOCK_MS / 2);
    const started = (await t.app.services.recordings.find(recordingId))!.startedAt.getTime();
    expect(interval.startOffsetMs).toBe(interval.startedAt.getTime() - started);

    const [, change] = await watch.waitFor(2);
    const pause = change.data?.recordingStateChanged;
    expect(pause).toMatchObject({ kind: "CHANGE", state: "PAUSED" });
    expect(new Date(pause.effectiveAt).getTime()).toBe(interval.startedAt.getTime());
    expect(new Date(pause.occurredAt).getTime()).toBeGreaterThanOrEqual(releasedAt - 5);

    // A resume takes effect when it commits.
    await gql(t.url, RESUME, { input: { recordingId } }, s.agent.token);
    const [, , resume] = await watch.waitFor(3);
    expect(resume.data?.recordingStateChanged.effectiveAt).toBe(resume.data?.recordingStateChanged.occurredAt);
    await client.dispose();
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
  });
});
