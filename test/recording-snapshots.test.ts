import { createConnection } from "mysql2/promise";
import { IsNull } from "typeorm";
import { AuditEntryEntity } from "../src/audit/audit-entry.entity";
import { Role } from "../src/auth/role";
import { groupCommitStats } from "../src/database/raw-sql";
import { PauseHoldEntity } from "../src/recordings/pause-hold.entity";
import { PauseIntervalEntity } from "../src/recordings/pause-interval.entity";
import { RecordingControlService } from "../src/recordings/recording-control.service";
import { RecordingEventPublisher } from "../src/recordings/recording-events";
import { RecordingStateMachine, RecordingTransition } from "../src/recordings/recording-state-machine";
import { ControlSource, HoldReleaseKind } from "../src/recordings/recording-state";
import { RecordingEntity } from "../src/recordings/recording.entity";
import { gql } from "./support/graphql-client";
import { PAUSE, RESUME, Scenario, startCall, startScenarioApp } from "./support/scenario";
import { TestApp } from "./support/test-app";

const mysqlOnly = process.env.TEST_DATABASE === "sqlite" ? it.skip : it;

let t: TestApp;
let s: Scenario;
/** Pause and resume as another instance of the fleet would make them: the same database, its own snapshots. */
let otherInstance: RecordingControlService;
beforeAll(async () => {
  ({ t, s } = await startScenarioApp());
  const { transactions, audit, bus, users } = t.app.services;
  otherInstance = new RecordingControlService(new RecordingStateMachine(transactions, audit, new RecordingEventPublisher(bus)), users);
});
afterAll(() => t.close());

const calls: string[] = [];
/** One live call per agent: each test's call is ended (unless it already was) before the next starts one. */
async function liveCall() {
  const started = await startCall(t, s);
  calls.push(started.callId);
  return started;
}
afterEach(async () => {
  for (const callId of calls.splice(0)) await t.app.services.calls.end(s.apiUser.viewer, "t", callId).catch(() => undefined);
});

const row = (id: string) => t.app.services.dataSource.getRepository(RecordingEntity).findOneByOrFail({ id });
const openIntervals = (recordingId: string) => t.app.services.dataSource.getRepository(PauseIntervalEntity).countBy({ recordingId, endedAt: IsNull() });
const activeHolds = (recordingId: string) => t.app.services.dataSource.getRepository(PauseHoldEntity).countBy({ recordingId, releasedAt: IsNull() });
const audited = (recordingId: string) => t.app.services.dataSource.getRepository(AuditEntryEntity).countBy({ targetId: recordingId });

describe("pause and resume decided on this instance's last committed snapshot", () => {
  it("16 holders pausing and then resuming one recording at once all succeed: those that lose to the same snapshot's winner run again locked", async () => {
    const { recordingId } = await liveCall();
    const holders = await Promise.all(Array.from({ length: 16 }, (_, i) => t.user([Role.API_USER], `snapshot-race-${i}`)));
    const before = await audited(recordingId);
    const pauses = await Promise.all(holders.map((holder) => gql(t.url, PAUSE, { input: { recordingId, holdKey: "race" } }, holder.token)));
    pauses.forEach((result) => expect(result.errors).toBeUndefined());
    expect(await activeHolds(recordingId)).toBe(16);
    const resumes = await Promise.all(holders.map((holder) => gql(t.url, RESUME, { input: { recordingId, holdKey: "race" } }, holder.token)));
    resumes.forEach((result) => expect(result.errors).toBeUndefined());
    expect(await row(recordingId)).toMatchObject({ state: "RECORDING", sequence: 33 });
    expect([await activeHolds(recordingId), await openIntervals(recordingId), (await audited(recordingId)) - before]).toEqual([0, 0, 32]);
  });

  it("pausing again after another instance force-resumed pauses the recording, not 'already paused'", async () => {
    const { recordingId } = await liveCall();
    expect((await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token)).data?.pauseRecording).toMatchObject({ state: "PAUSED", sequence: 2 });
    await otherInstance.resume(s.manager.viewer, "elsewhere", { target: { recordingId }, force: true, source: ControlSource.AGENT_UI });

    // This instance's snapshot still has the agent's hold: answering from it would report a pause that is not there.
    const again = await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token);
    expect(again.errors).toBeUndefined();
    expect(again.data?.pauseRecording).toMatchObject({ state: "PAUSED", sequence: 4, activeHolds: [{ holderId: s.agent.id }] });
    expect(await row(recordingId)).toMatchObject({ state: "PAUSED", sequence: 4 });
    expect(await openIntervals(recordingId)).toBe(1);
  });

  it("resuming after another instance paused releases that pause instead of answering 'not paused'", async () => {
    const { recordingId } = await liveCall();
    await otherInstance.pause(s.agent.viewer, "elsewhere", { target: { agentRef: s.agent.id }, requestedAt: new Date(), source: ControlSource.AGENT_UI });

    const resumed = await gql(t.url, RESUME, { input: { agentId: s.agent.id } }, s.agent.token);
    expect(resumed.errors).toBeUndefined();
    expect(resumed.data?.resumeRecording).toMatchObject({ state: "RECORDING", sequence: 3, activeHolds: [] });
    expect(await row(recordingId)).toMatchObject({ state: "RECORDING", sequence: 3 });
    expect({ open: await openIntervals(recordingId), holds: await activeHolds(recordingId) }).toEqual({ open: 0, holds: 0 });
  });

  it("a pause on a stale RECORDING snapshot joins the pause another instance made: one interval, two holds", async () => {
    const { recordingId } = await liveCall();
    await otherInstance.pause(s.manager.viewer, "elsewhere", { target: { recordingId }, holdKey: "supervisor", requestedAt: new Date(), source: ControlSource.AGENT_UI });
    const before = await audited(recordingId);

    const paused = await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token);
    expect(paused.errors).toBeUndefined();
    expect(paused.data?.pauseRecording).toMatchObject({ state: "PAUSED", sequence: 3 });
    expect(paused.data?.pauseRecording.activeHolds.map((h: { holderId: string }) => h.holderId)).toEqual([s.manager.id, s.agent.id]);
    expect({ open: await openIntervals(recordingId), holds: await activeHolds(recordingId) }).toEqual({ open: 1, holds: 2 });
    // The stale attempt wrote nothing: exactly one more audit entry, the hold that was added.
    expect(await audited(recordingId)).toBe(before + 1);
  });

  mysqlOnly("a pause whose recording another transaction holds locked fails alone and at once: the pause committed with it does not wait", async () => {
    const other = await t.user([Role.AGENT], "snapshot-nowait-other");
    const locked = await liveCall();
    const free = await startCall(t, s, other);
    calls.push(free.callId);
    const { control, dataSource } = t.app.services;
    const pause = (agent: typeof other) => control.pause(agent.viewer, "t", { target: { agentRef: agent.id }, requestedAt: new Date(), source: ControlSource.AGENT_UI });
    const resume = (agent: typeof other) => control.resume(agent.viewer, "t", { target: { agentRef: agent.id }, force: false, source: ControlSource.AGENT_UI });
    // Both snapshots cached by a first pause and resume.
    for (const agent of [s.agent, other]) await pause(agent).then(() => resume(agent));

    const holder = await createConnection(t.database.config.kind === "mysql" ? t.database.config.url : "");
    try {
      await holder.query("START TRANSACTION");
      await holder.query("SELECT 1 FROM recordings WHERE id = ? FOR UPDATE", [locked.recordingId]);
      const before = { ...groupCommitStats(dataSource)! };
      let lockedDone = false;
      // Started in the same turn: their writes go out in one group commit.
      const lockedPause = pause(s.agent).finally(() => (lockedDone = true));
      const freePause = pause(other);
      let timer: NodeJS.Timeout | undefined;
      const answer = await Promise.race([freePause, new Promise<"waiting">((resolve) => (timer = setTimeout(() => resolve("waiting"), 5000)))]);
      clearTimeout(timer);
      expect(answer).toMatchObject({ recording: { state: "PAUSED", sequence: 4 } });
      const after = groupCommitStats(dataSource)!;
      // One group of both, sent a second time without the one that gave up.
      expect([after.groups - before.groups, after.units - before.units, after.roundTrips - before.roundTrips]).toEqual([1, 2, 2]);
      // That one went on to the locked path, which waits for the row like any locked write.
      expect(lockedDone).toBe(false);
      await holder.query("COMMIT");
      expect(await lockedPause).toMatchObject({ recording: { state: "PAUSED", sequence: 4 } });
      expect(await openIntervals(locked.recordingId)).toBe(1);
    } finally {
      await holder.end();
    }
  });

  it("a call ended elsewhere: the snapshot's resume matches no row, and the locked path refuses with RECORDING_NOT_LIVE", async () => {
    const { recordingId, callId } = await liveCall();
    expect((await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token)).data?.pauseRecording.sequence).toBe(2);
    await endElsewhere(callId);

    const resumed = await gql(t.url, RESUME, { input: { recordingId } }, s.agent.token);
    expect(resumed.errors?.[0]?.extensions?.code).toBe("RECORDING_NOT_LIVE");
    expect((await row(recordingId)).state).not.toBe("PAUSED");
  });
});

/** Ends the call through a state machine with its own snapshots, as another instance would. */
async function endElsewhere(callId: string) {
  const { transactions, audit, bus } = t.app.services;
  const machine = new RecordingStateMachine(transactions, audit, new RecordingEventPublisher(bus));
  await machine.run(async (uow) => {
    const locked = await machine.lockOfCall(uow, callId);
    await machine.apply(uow, locked!.recording, {
      transition: RecordingTransition.END,
      at: new Date(),
      actor: undefined,
      source: ControlSource.SYSTEM,
      changes: { endedAt: new Date() },
      activeHolds: [],
      releaseHolds: { holds: locked!.holds, by: null, kind: HoldReleaseKind.CALL_ENDED },
    });
  });
}
