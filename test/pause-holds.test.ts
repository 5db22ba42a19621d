import { AuditAction } from "../src/audit/audit-action";
import { AuditEntryEntity } from "../src/audit/audit-entry.entity";
import { Role } from "../src/auth/role";
import { PauseHoldEntity } from "../src/recordings/pause-hold.entity";
import { PauseIntervalEntity } from "../src/recordings/pause-interval.entity";
import { codesOf, gql } from "./support/graphql-client";
import { PAUSE, RESUME, Scenario, startCall, startScenarioApp } from "./support/scenario";
import { TestApp } from "./support/test-app";

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

const auditCount = async (recordingId: string) =>
  t.app.services.dataSource.getRepository(AuditEntryEntity).count({ where: { targetId: recordingId } });

describe("pause holds", () => {
  it("keeps the card-field integration's hold when the agent resumes, and resumes when the last hold goes", async () => {
    const { recordingId, callId } = await startCall(t, s);
    const agentPause = await gql(t.url, PAUSE, { input: { agentId: s.agent.id, reason: "customer reading card" } }, s.agent.token);
    expect(agentPause.data?.pauseRecording).toMatchObject({ state: "PAUSED", sequence: 2 });

    const omsPause = await gql(t.url, PAUSE, { input: { agentId: s.agent.email, holdKey: "oms-card-field", reason: "cursor in card field" } }, s.apiUser.token);
    expect(omsPause.data?.pauseRecording.state).toBe("PAUSED");
    expect(omsPause.data?.pauseRecording.activeHolds).toHaveLength(2);
    expect(omsPause.data?.pauseRecording.activeHolds[1]).toMatchObject({ holderId: s.apiUser.id, holdKey: "oms-card-field", source: "API" });

    const agentResume = await gql(t.url, RESUME, { input: { agentId: s.agent.id } }, s.agent.token);
    expect(agentResume.data?.resumeRecording.state).toBe("PAUSED");
    expect(agentResume.data?.resumeRecording.activeHolds).toEqual([
      { holderId: s.apiUser.id, holdKey: "oms-card-field", reason: "cursor in card field", source: "API" },
    ]);

    const omsResume = await gql(t.url, RESUME, { input: { recordingId, holdKey: "oms-card-field" } }, s.apiUser.token);
    expect(omsResume.data?.resumeRecording).toMatchObject({ state: "RECORDING", activeHolds: [] });
    expect(omsResume.data?.resumeRecording.sequence).toBe(5);
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
  });

  it("force releases every hold and is audited as a forced resume", async () => {
    const { recordingId } = await startCall(t, s, s.otherAgent);
    await gql(t.url, PAUSE, { input: { recordingId } }, s.otherAgent.token);
    await gql(t.url, PAUSE, { input: { recordingId, holdKey: "oms-card-field" } }, s.apiUser.token);
    const forced = await gql(t.url, RESUME, { input: { recordingId, force: true, reason: "customer finished" } }, s.otherAgent.token);
    expect(forced.data?.resumeRecording).toMatchObject({ state: "RECORDING", activeHolds: [] });
    const entries = await t.app.services.dataSource.getRepository(AuditEntryEntity).find({ where: { targetId: recordingId, action: AuditAction.RECORDING_RESUMED_FORCED } });
    expect(entries).toHaveLength(1);
    expect((entries[0].details.releasedHolds as unknown[]).length).toBe(2);
    await t.app.services.calls.end(s.apiUser.viewer, "t", (await t.app.services.recordings.find(recordingId))!.callId);
  });

  it("is idempotent: a repeated pause or a resume with no hold changes nothing and writes no audit entry", async () => {
    const { recordingId, callId } = await startCall(t, s, s.otherAgent);
    const first = await gql(t.url, PAUSE, { input: { recordingId, holdKey: "k" } }, s.apiUser.token);
    const audited = await auditCount(recordingId);
    const again = await gql(t.url, PAUSE, { input: { recordingId, holdKey: "k" } }, s.apiUser.token);
    expect(again.data?.pauseRecording.sequence).toBe(first.data?.pauseRecording.sequence);
    const noHold = await gql(t.url, RESUME, { input: { recordingId } }, s.otherAgent.token);
    expect(noHold.data?.resumeRecording).toMatchObject({ state: "PAUSED", sequence: first.data?.pauseRecording.sequence });
    expect(noHold.data?.resumeRecording.activeHolds).toHaveLength(1);
    expect(await auditCount(recordingId)).toBe(audited);
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
  });

  it("stores every paused interval with offsets and each hold's holder, key, reason and source", async () => {
    const { recordingId, callId } = await startCall(t, s);
    await gql(t.url, PAUSE, { input: { recordingId, reason: "card" } }, s.agent.token);
    await gql(t.url, RESUME, { input: { recordingId } }, s.agent.token);
    await gql(t.url, PAUSE, { input: { recordingId, holdKey: "oms-card-field", reason: "field focus" } }, s.apiUser.token);
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);

    const ds = t.app.services.dataSource;
    const intervals = await ds.getRepository(PauseIntervalEntity).find({ where: { recordingId }, order: { startedAt: "ASC" } });
    expect(intervals).toHaveLength(2);
    for (const interval of intervals) {
      expect(interval.endedAt).not.toBeNull();
      expect(interval.endOffsetMs!).toBeGreaterThanOrEqual(interval.startOffsetMs);
    }
    expect(intervals[1].startOffsetMs).toBeGreaterThanOrEqual(intervals[0].endOffsetMs!);
    const holds = await ds.getRepository(PauseHoldEntity).find({ where: { recordingId }, order: { createdAt: "ASC" } });
    expect(holds.map((h) => [h.holderId, h.holdKey, h.reason, h.source, h.releaseKind, h.intervalId])).toEqual([
      [s.agent.id, "", "card", "AGENT_UI", "RESUMED", intervals[0].id],
      [s.apiUser.id, "oms-card-field", "field focus", "API", "CALL_ENDED", intervals[1].id],
    ]);

    const view = await gql(t.url, `query($id: ID!) { recording(id: $id) { state pauseIntervals { startOffsetMs endOffsetMs } } }`, { id: recordingId }, s.manager.token);
    expect(view.data?.recording.pauseIntervals).toHaveLength(2);
  });
});

describe("clear errors instead of silent no-ops", () => {
  it("names each failure with a stable code and changes nothing", async () => {
    const idle = await t.user([Role.AGENT], "idle");
    expect(codesOf(await gql(t.url, PAUSE, { input: { agentId: idle.id } }, idle.token))).toEqual(["NO_LIVE_RECORDING"]);
    expect(codesOf(await gql(t.url, PAUSE, { input: { agentId: "nobody@nowhere.test" } }, s.apiUser.token))).toEqual(["NOT_FOUND"]);
    expect(codesOf(await gql(t.url, PAUSE, { input: { recordingId: "00000000-0000-0000-0000-000000000000" } }, s.apiUser.token))).toEqual(["NOT_FOUND"]);
    expect(codesOf(await gql(t.url, PAUSE, { input: {} }, s.apiUser.token))).toEqual(["BAD_USER_INPUT"]);

    const { recordingId, callId } = await startCall(t, s);
    expect(codesOf(await gql(t.url, PAUSE, { input: { recordingId, agentId: s.agent.id } }, s.apiUser.token))).toEqual(["BAD_USER_INPUT"]);
    expect(codesOf(await gql(t.url, PAUSE, { input: { recordingId } }, s.otherAgent.token))).toEqual(["FORBIDDEN"]);
    expect(codesOf(await gql(t.url, PAUSE, { input: { agentId: s.agent.id } }, s.otherAgent.token))).toEqual(["FORBIDDEN"]);
    expect(codesOf(await gql(t.url, PAUSE, { input: { recordingId, reason: "x".repeat(501) } }, s.agent.token))).toEqual(["BAD_USER_INPUT"]);
    expect(codesOf(await gql(t.url, PAUSE, { input: { recordingId, holdKey: "k".repeat(101) } }, s.agent.token))).toEqual(["BAD_USER_INPUT"]);
    const unchanged = await t.app.services.recordings.find(recordingId);
    expect(unchanged).toMatchObject({ state: "RECORDING", sequence: 1 });

    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
    expect(codesOf(await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token))).toEqual(["RECORDING_NOT_LIVE"]);
    expect(codesOf(await gql(t.url, RESUME, { input: { agentId: s.agent.id } }, s.agent.token))).toEqual(["NO_LIVE_RECORDING"]);
  });
});
