import { setTimeout as sleep } from "node:timers/promises";
import { Role } from "../src/auth/role";
import { auditPauseLeaks } from "../src/ingest/pause-leak-auditor";
import { PauseIntervalEntity } from "../src/recordings/pause-interval.entity";
import { backdateRecording } from "./support/backdate";
import { availableRecording } from "./support/compliance-fixtures";
import { codesOf, gql } from "./support/graphql-client";
import { recordTone } from "./support/record-audio";
import { PAUSE, RESUME, startCall, startScenarioApp, Scenario } from "./support/scenario";
import type { TestApp, TestUser } from "./support/test-app";

/**
 * A scripted day of calls, then the compliance report for it: its figures equal the script's and equal
 * what a reader recomputes from the audit log alone; the CSV at a signed link says the same.
 */

let t: TestApp;
let s: Scenario;
let from: Date;
let to: Date;
let downloader: TestUser;
const script = { calls: 0, pausedRecordings: new Set<string>(), forced: 0, late: 0, leakedMs: 0, redactions: 0, byHand: 0, byRetention: 0, served: 0, holdsPlaced: 0, holdsReleased: 0 };

const REPORT = /* GraphQL */ `
  query($from: DateTimeISO!, $to: DateTimeISO!) {
    complianceReport(from: $from, to: $to) {
      from to auditEntries callsRecorded recordingsPaused pausesBySource { source pauses recordings } totalPausedMs forcedResumes
      pausesAppliedLate leakedPausedAudioMs recordingsRedacted redactions recordingsDeletedByHand recordingsDeletedByRetention
      downloadsByUser { userId linksIssued downloadsServed bytesServed } legalHoldsPlaced legalHoldsReleased
    }
  }
`;
const CSV_LINK = /* GraphQL */ `
  mutation($from: DateTimeISO!, $to: DateTimeISO!) { createComplianceReportDownload(from: $from, to: $to) { url expiresAt } }
`;
const AUDIT_PAGE = /* GraphQL */ `
  query($after: String, $filter: AuditFilterInput) {
    auditLog(first: 200, after: $after, filter: $filter) { edges { node { position occurredAt actorId action targetType targetId details } } pageInfo { hasNextPage endCursor } }
  }
`;

async function pause(token: string, recordingId: string, holdKey?: string) {
  const response = await gql(t.url, PAUSE, { input: { recordingId, holdKey } }, token);
  expect(response.errors).toBeUndefined();
}
async function resume(token: string, recordingId: string, force = false) {
  const response = await gql(t.url, RESUME, { input: { recordingId, force } }, token);
  expect(response.errors).toBeUndefined();
}
const end = (callId: string) => t.app.services.calls.end(s.apiUser.viewer, "script", callId);

beforeAll(async () => {
  ({ t, s } = await startScenarioApp());
  downloader = await t.user([Role.COMPLIANCE_ADMINISTRATOR], "downloader");
  await sleep(5);
  from = new Date();
  const agents = [await t.user([Role.AGENT], "day-1"), await t.user([Role.AGENT], "day-2"), await t.user([Role.AGENT], "day-3")];

  // Call 1: the agent pauses for a card number and resumes; later deleted by hand.
  const c1 = await startCall(t, s, agents[0]);
  await pause(agents[0].token, c1.recordingId);
  await sleep(30);
  await resume(agents[0].token, c1.recordingId);
  await end(c1.callId);
  await t.app.services.deletion.delete(s.compliance.viewer, "script", c1.recordingId, "customer request");
  // Call 2: the order system and the agent both pause; a manager forces the resume. Later expired by retention.
  const c2 = await startCall(t, s, agents[1]);
  await pause(s.apiUser.token, c2.recordingId, "oms-card-field");
  await pause(agents[1].token, c2.recordingId);
  await sleep(20);
  await resume(s.manager.token, c2.recordingId, true);
  await end(c2.callId);
  // Call 3: paused when the call ends; a late pause let 120 ms of paused audio through.
  const c3 = await startCall(t, s, agents[2]);
  await recordTone(t, s.apiUser.token, c3.callId, 200);
  await pause(agents[2].token, c3.recordingId);
  await sleep(25);
  await end(c3.callId);
  auditPauseLeaks(t.app.services.transactions, t.app.services.audit, () => undefined)({ recordingId: c3.recordingId, leakedMs: 120, pauseOffsetMs: 80 } as never);
  // Call 4: recorded, redacted twice, put on hold and released, downloaded twice (once as a range).
  const c4 = await availableRecording(t, s);
  for (const [fromSeconds, toSeconds] of [[0.05, 0.1], [0.2, 0.25]]) await t.app.services.redaction.redact(s.compliance.viewer, "script", { recordingId: c4.recordingId, fromSeconds, toSeconds, reason: "card" });
  const hold = await t.app.services.legalHolds.place(s.compliance.viewer, "script", { recordingId: c4.recordingId, reason: "dispute" });
  await t.app.services.legalHolds.release(s.compliance.viewer, "script", hold.id, "settled");
  await t.app.services.legalHolds.place(s.compliance.viewer, "script", { customerId: s.customerId, reason: "regulator" });
  const link = await gql(t.url, `mutation($id: ID!) { createRecordingDownload(recordingId: $id) { url } }`, { id: c4.recordingId }, downloader.token);
  const url = link.data!.createRecordingDownload.url as string;
  expect((await fetch(url)).status).toBe(200);
  expect((await fetch(url, { headers: { range: "bytes=0-99" } })).status).toBe(206);
  // Retention expires call 2 (the customer hold above would keep it: released first).
  const customerHold = (await t.app.services.legalHolds.list({ customerId: s.customerId }))[0];
  await t.app.services.legalHolds.release(s.compliance.viewer, "script", customerHold.id, "done");
  await backdateRecording(t, c2.recordingId, 3);
  await t.app.services.retention.setPolicy(s.compliance.viewer, "script", { customerId: s.customerId, days: 2 });
  expect(await t.app.services.retention.run({ holderId: "script" })).toMatchObject({ expired: 1 });
  await t.app.services.retention.setPolicy(s.compliance.viewer, "script", { customerId: s.customerId, days: null });
  await t.app.services.audit.flush();
  to = new Date(Date.now() + 1);

  Object.assign(script, { calls: 4, forced: 1, late: 1, leakedMs: 120, redactions: 2, byHand: 1, byRetention: 1, served: 2, holdsPlaced: 2, holdsReleased: 2 });
  for (const id of [c1.recordingId, c2.recordingId, c3.recordingId]) script.pausedRecordings.add(id);
}, 60_000);
afterAll(() => t.close());

/** Every audit entry of the period, read through the public API. */
async function auditEntries(): Promise<any[]> {
  const entries: any[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await gql(t.url, AUDIT_PAGE, { after, filter: { from: from.toISOString(), to: new Date(to.getTime() - 1).toISOString() } }, s.compliance.token);
    expect(page.errors).toBeUndefined();
    entries.push(...page.data!.auditLog.edges.map((edge: { node: unknown }) => edge.node));
    if (!page.data!.auditLog.pageInfo.hasNextPage) break;
    after = page.data!.auditLog.pageInfo.endCursor;
  }
  return entries.reverse(); // oldest first
}

describe("the compliance report for a scripted day", () => {
  let report: any;
  beforeAll(async () => {
    const response = await gql(t.url, REPORT, { from: from.toISOString(), to: to.toISOString() }, s.compliance.token);
    expect(response.errors).toBeUndefined();
    report = response.data!.complianceReport;
  });

  it("says what the script did", () => {
    expect(report).toMatchObject({
      callsRecorded: script.calls,
      recordingsPaused: script.pausedRecordings.size,
      pausesBySource: [
        { source: "AGENT_UI", pauses: 3, recordings: 3 },
        { source: "API", pauses: 1, recordings: 1 },
      ],
      forcedResumes: script.forced,
      pausesAppliedLate: script.late,
      leakedPausedAudioMs: script.leakedMs,
      recordingsRedacted: 1,
      redactions: script.redactions,
      recordingsDeletedByHand: script.byHand,
      recordingsDeletedByRetention: script.byRetention,
      downloadsByUser: [expect.objectContaining({ userId: downloader.id, linksIssued: 1, downloadsServed: script.served, bytesServed: expect.any(Number) })],
      legalHoldsPlaced: script.holdsPlaced,
      legalHoldsReleased: script.holdsReleased,
    });
  });

  it("adds up against the audit log: every figure recomputed from the entries alone", async () => {
    const entries = await auditEntries();
    expect(report.auditEntries).toBe(entries.length);
    const count = (action: string) => entries.filter((e) => e.action === action).length;
    const distinct = (action: string) => new Set(entries.filter((e) => e.action === action).map((e) => e.targetId)).size;
    const pauses = entries.filter((e) => e.action === "RECORDING_PAUSED");
    const sources = [...new Set(pauses.map((e) => e.details.source))].sort().map((source) => ({
      source,
      pauses: pauses.filter((e) => e.details.source === source).length,
      recordings: new Set(pauses.filter((e) => e.details.source === source).map((e) => e.targetId)).size,
    }));
    // Paused time: from the pause that left RECORDING to the entry that left PAUSED.
    let pausedMs = 0;
    for (const start of pauses.filter((e) => e.details.previousState === "RECORDING")) {
      const stop = entries.find(
        (e) =>
          e.position > start.position &&
          (((e.action === "RECORDING_RESUMED" || e.action === "RECORDING_RESUMED_FORCED") && e.targetId === start.targetId && e.details.state === "RECORDING") ||
            (e.action === "CALL_ENDED" && e.details.recordingId === start.targetId && e.details.previousState === "PAUSED")),
      );
      pausedMs += new Date(stop.occurredAt).getTime() - new Date(start.occurredAt).getTime();
    }
    const served = entries.filter((e) => e.action === "DOWNLOAD_SERVED");
    expect(report).toEqual({
      from: from.toISOString(),
      to: to.toISOString(),
      auditEntries: entries.length,
      callsRecorded: count("CALL_STARTED"),
      recordingsPaused: distinct("RECORDING_PAUSED"),
      pausesBySource: sources,
      totalPausedMs: pausedMs,
      forcedResumes: count("RECORDING_RESUMED_FORCED"),
      pausesAppliedLate: count("PAUSE_APPLIED_LATE"),
      leakedPausedAudioMs: entries.filter((e) => e.action === "PAUSE_APPLIED_LATE").reduce((sum, e) => sum + e.details.leakedMs, 0),
      recordingsRedacted: distinct("RECORDING_REDACTED"),
      redactions: count("RECORDING_REDACTED"),
      recordingsDeletedByHand: count("RECORDING_DELETED"),
      recordingsDeletedByRetention: count("RECORDING_EXPIRED"),
      downloadsByUser: [
        {
          userId: downloader.id,
          linksIssued: entries.filter((e) => e.action === "DOWNLOAD_URL_ISSUED" && e.actorId === downloader.id).length,
          downloadsServed: served.length,
          bytesServed: served.reduce((sum, e) => sum + e.details.bytes, 0),
        },
      ],
      legalHoldsPlaced: count("LEGAL_HOLD_PLACED"),
      legalHoldsReleased: count("LEGAL_HOLD_RELEASED"),
    });
  });

  it("its paused time matches the stored pause intervals (to the commit latency)", async () => {
    const intervals = await t.app.services.dataSource.getRepository(PauseIntervalEntity).find();
    const stored = intervals.reduce((sum, i) => sum + ((i.endedAt as Date).getTime() - i.startedAt.getTime()), 0);
    expect(intervals).toHaveLength(3);
    expect(Math.abs(report.totalPausedMs - stored)).toBeLessThan(250);
    expect(report.totalPausedMs).toBeGreaterThanOrEqual(75);
  });

  it("is also CSV at a signed link for the user who asked, with the same figures; a tampered or stale link is refused", async () => {
    const link = await gql(t.url, CSV_LINK, { from: from.toISOString(), to: to.toISOString() }, s.compliance.token);
    expect(link.errors).toBeUndefined();
    const response = await fetch(link.data!.createComplianceReportDownload.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    const rows = (await response.text()).trim().split("\r\n").map((line) => line.split(","));
    expect(rows[0]).toEqual(["section", "key", "value"]);
    const value = (section: string, key: string) => rows.find((row) => row[0] === section && row[1] === key)?.[2];
    for (const key of ["auditEntries", "callsRecorded", "recordingsPaused", "totalPausedMs", "forcedResumes", "pausesAppliedLate", "leakedPausedAudioMs", "redactions", "recordingsDeletedByHand", "recordingsDeletedByRetention", "legalHoldsPlaced"]) {
      expect([key, value("totals", key)]).toEqual([key, String(report[key])]);
    }
    expect(value("pausesBySource", "API.pauses")).toBe("1");
    expect(value("downloadsByUser", `${downloader.id}.downloadsServed`)).toBe("2");

    const url = new URL(link.data!.createComplianceReportDownload.url);
    url.searchParams.set("to", String(to.getTime() + 86_400_000));
    expect((await fetch(url)).status).toBe(403);
    await t.app.services.users.assignRoles(s.admin.viewer, "test", s.compliance.id, [Role.TEAM_MANAGER]);
    try {
      expect((await fetch(link.data!.createComplianceReportDownload.url)).status).toBe(403);
    } finally {
      await t.app.services.users.assignRoles(s.admin.viewer, "test", s.compliance.id, [Role.COMPLIANCE_ADMINISTRATOR]);
    }
  });

  it.each([
    ["to before from", () => ({ from: to.toISOString(), to: from.toISOString() })],
    ["a period over 366 days", () => ({ from: "2020-01-01T00:00:00.000Z", to: "2021-01-02T00:00:01.000Z" })],
  ])("refuses %s", async (_label, variables) => {
    expect(codesOf(await gql(t.url, REPORT, variables(), s.compliance.token))).toEqual(["BAD_USER_INPUT"]);
  });
});
