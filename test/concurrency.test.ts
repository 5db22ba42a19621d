import { AuditEntryEntity } from "../src/audit/audit-entry.entity";
import { Role } from "../src/auth/role";
import { PauseHoldEntity } from "../src/recordings/pause-hold.entity";
import { IsNull } from "typeorm";
import { PauseIntervalEntity } from "../src/recordings/pause-interval.entity";
import { RecordingControlService } from "../src/recordings/recording-control.service";
import { RecordingEventPublisher } from "../src/recordings/recording-events";
import { RecordingStateMachine } from "../src/recordings/recording-state-machine";
import { ControlSource } from "../src/recordings/recording-state";
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

describe("concurrent startCall requests for one agent", () => {
  const START = /* GraphQL */ `
    mutation Start($input: StartCallInput!) {
      startCall(input: $input) { call { id } recording { id state sequence } }
    }
  `;

  it("refuse an unknown agent, a user who is not an agent and an unknown customer, writing nothing; take an agent's email", async () => {
    const ds = t.app.services.dataSource;
    const audit = () => ds.getRepository(AuditEntryEntity).count();
    const idle = await t.user([Role.AGENT], "idle-agent");
    const before = await audit();
    const start = (agentId: string, customerId = s.customerId) => gql(t.url, START, { input: { agentId, customerId } }, s.apiUser.token);
    expect((await start("00000000-0000-4000-8000-000000000000")).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await start("nobody@nowhere.test")).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await start(s.manager.id)).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect((await start(idle.id, "00000000-0000-4000-8000-000000000000")).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await audit()).toBe(before);
    const byEmail = await start(idle.email.toUpperCase());
    expect(byEmail.errors).toBeUndefined();
    await t.app.services.calls.end(s.apiUser.viewer, "test", byEmail.data!.startCall.call.id);
  });

  it("start exactly one call; the others answer AGENT_BUSY and write nothing", async () => {
    const agent = await t.user([Role.AGENT], "busy-agent");
    const ds = t.app.services.dataSource;
    const auditBefore = await ds.getRepository(AuditEntryEntity).count();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => gql(t.url, START, { input: { agentId: agent.id, customerId: s.customerId, externalRef: `race-${i}` } }, s.apiUser.token)),
    );
    const started = results.filter((result) => result.data?.startCall);
    expect(started).toHaveLength(1);
    for (const result of results.filter((r) => !r.data?.startCall)) expect(result.errors?.[0]?.extensions?.code).toBe("AGENT_BUSY");
    expect(started[0].data!.startCall.recording).toMatchObject({ state: "RECORDING", sequence: 1 });
    const calls = await ds.query(ds.options.type === "better-sqlite3" ? `SELECT COUNT(*) AS n FROM calls WHERE agentId = ?` : "SELECT COUNT(*) AS n FROM `calls` WHERE `agentId` = ?", [agent.id]);
    const recordings = await ds.query(ds.options.type === "better-sqlite3" ? `SELECT COUNT(*) AS n FROM recordings WHERE agentId = ?` : "SELECT COUNT(*) AS n FROM `recordings` WHERE `agentId` = ?", [agent.id]);
    expect([Number(calls[0].n), Number(recordings[0].n)]).toEqual([1, 1]);
    expect(await ds.getRepository(AuditEntryEntity).count()).toBe(auditBefore + 1);
    // A second start once the first ended is allowed again.
    await t.app.services.calls.end(s.apiUser.viewer, "test", started[0].data!.startCall.call.id);
    const again = await gql(t.url, START, { input: { agentId: agent.id, customerId: s.customerId } }, s.apiUser.token);
    expect(again.errors).toBeUndefined();
  });
});

describe("60 concurrent pause/resume calls split between this instance and another one on the same database", () => {
  it("keep one truth: holds, state and the one open interval agree, every change is one event and one chained audit entry", async () => {
    const { transactions, audit, bus, users } = t.app.services;
    // Another instance: its own state machine, so its own snapshots, on the same database and event bus.
    const elsewhere = new RecordingControlService(new RecordingStateMachine(transactions, audit, new RecordingEventPublisher(bus)), users);
    const { recordingId, callId } = await startCall(t, s);
    const holders = [
      { user: s.agent, holdKey: undefined as string | undefined },
      { user: s.manager, holdKey: undefined },
      { user: s.apiUser, holdKey: "card-field" },
    ];
    const client = wsClient(t.wsUrl, s.manager.token);
    const watch = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { recordingId });
    await watch.waitFor(1);

    // Warm both instances' snapshots first, so the concurrent calls below decide on snapshots the other side outdates.
    expect((await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token)).errors).toBeUndefined();
    await elsewhere.resume(s.agent.viewer, "warm", { target: { recordingId }, force: false, source: ControlSource.API });
    const calls = Array.from({ length: 60 }, async (_, i) => {
      const holder = holders[i % holders.length];
      const pause = (i * 7) % 3 !== 0;
      if (i % 2 === 0) return gql(t.url, pause ? PAUSE : RESUME, { input: { recordingId, holdKey: holder.holdKey } }, holder.user.token);
      const target = { recordingId };
      await (pause
        ? elsewhere.pause(holder.user.viewer, `elsewhere-${i}`, { target, holdKey: holder.holdKey, requestedAt: new Date(), source: ControlSource.API })
        : elsewhere.resume(holder.user.viewer, `elsewhere-${i}`, { target, holdKey: holder.holdKey, force: false, source: ControlSource.API }));
      return { errors: undefined };
    });
    for (const result of await Promise.all(calls)) expect(result.errors).toBeUndefined();

    const ds = t.app.services.dataSource;
    const recording = (await t.app.services.recordings.find(recordingId))!;
    const active = await ds.getRepository(PauseHoldEntity).find({ where: { recordingId, releasedAt: IsNull() } });
    const open = await ds.getRepository(PauseIntervalEntity).count({ where: { recordingId, endedAt: IsNull() } });
    expect(recording.state).toBe(active.length > 0 ? "PAUSED" : "RECORDING");
    expect(open).toBe(active.length > 0 ? 1 : 0);
    expect(new Set(active.map((h) => `${h.holderId}/${h.holdKey}`)).size).toBe(active.length);

    const changes = recording.sequence - 1;
    const messages = await watch.waitFor(1 + changes, 10000);
    expect(await watch.quietFor(300)).toBe(0);
    expect(messages.slice(1).map((m) => m.data?.recordingStateChanged.sequence)).toEqual(Array.from({ length: changes }, (_, i) => i + 2));
    expect(messages.at(-1)!.data?.recordingStateChanged.state).toBe(recording.state);
    expect(await ds.getRepository(AuditEntryEntity).count({ where: { targetId: recordingId } })).toBe(changes);
    expect((await t.app.services.audit.verify()).valid).toBe(true);

    watch.stop();
    await client.dispose();
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
  });
});
