import { AuditEntryEntity } from "../src/audit/audit-entry.entity";
import { Role } from "../src/auth/role";
import { PauseHoldEntity } from "../src/recordings/pause-hold.entity";
import { IsNull } from "typeorm";
import { gql, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { PAUSE, RESUME, Scenario, startCall, startScenarioApp, STATE_SUBSCRIPTION } from "./support/scenario";
import { TestApp, TestUser } from "./support/test-app";

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

describe("50 concurrent pause/resume calls from several holders", () => {
  it("leave a state that matches the holds, a strictly increasing sequence and exactly one event per change", async () => {
    const { recordingId, callId } = await startCall(t, s);
    const integrations: TestUser[] = [s.apiUser, await t.user([Role.API_USER], "crm"), await t.user([Role.API_USER], "ivr")];
    const holders = [
      { user: s.agent, holdKey: undefined as string | undefined },
      { user: s.manager, holdKey: undefined },
      ...integrations.map((user, i) => ({ user, holdKey: `field-${i}` })),
    ];
    const client = wsClient(t.wsUrl, s.manager.token);
    const watch = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { recordingId });
    await watch.waitFor(1);

    const calls = Array.from({ length: 50 }, (_, i) => {
      const holder = holders[i % holders.length];
      const pause = (i * 7) % 3 !== 0;
      return gql(t.url, pause ? PAUSE : RESUME, { input: { recordingId, holdKey: holder.holdKey } }, holder.user.token);
    });
    const results = await Promise.all(calls);
    for (const result of results) expect(result.errors).toBeUndefined();

    const ds = t.app.services.dataSource;
    const recording = (await t.app.services.recordings.find(recordingId))!;
    const active = await ds.getRepository(PauseHoldEntity).find({ where: { recordingId, releasedAt: IsNull() } });
    expect(recording.state).toBe(active.length > 0 ? "PAUSED" : "RECORDING");
    expect(new Set(active.map((h) => `${h.holderId}/${h.holdKey}`)).size).toBe(active.length);

    const changes = recording.sequence - 1;
    const messages = await watch.waitFor(1 + changes, 10000);
    expect(await watch.quietFor(300)).toBe(0);
    const sequences = messages.slice(1).map((m) => m.data?.recordingStateChanged.sequence);
    expect(sequences).toEqual(Array.from({ length: changes }, (_, i) => i + 2));
    const last = messages.at(-1)!.data?.recordingStateChanged;
    expect(last.state).toBe(recording.state);
    expect(last.activeHolds).toHaveLength(active.length);

    const audited = await ds.getRepository(AuditEntryEntity).count({ where: { targetId: recordingId } });
    expect(audited).toBe(changes);
    expect((await t.app.services.audit.verify()).valid).toBe(true);

    watch.stop();
    await client.dispose();
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
  });
});
