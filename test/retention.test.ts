import fs from "node:fs";
import path from "node:path";
import { Role } from "../src/auth/role";
import { RecordingMediaEntity } from "../src/recording-media/recording-media.entity";
import { RecordingEntity } from "../src/recordings/recording.entity";
import { backdateRecording } from "./support/backdate";
import { availableRecording, newCustomer } from "./support/compliance-fixtures";
import { codesOf, gql, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { startScenarioApp, Scenario, startCall } from "./support/scenario";
import type { TestApp } from "./support/test-app";

/** Retention policies and the retention job, in process: who is expired, how, exactly once, and what is kept. */

let t: TestApp;
let s: Scenario;

beforeAll(async () => {
  ({ t, s } = await startScenarioApp({ compliance: { retentionBatchSize: 2 } }));
});
afterAll(() => t.close());

const SET = /* GraphQL */ `
  mutation($input: SetRetentionPolicyInput!) { setRetentionPolicy(input: $input) { customerId days setById setAt } }
`;
const POLICIES = /* GraphQL */ `
  query { retentionPolicies { customerId days setById } }
`;
const RUNS = /* GraphQL */ `
  query { retentionRuns(first: 5) { id status batches expired held finishedAt } }
`;
const RECORDING = /* GraphQL */ `
  query($id: ID!) { recording(id: $id) { id state timelineText deletion { reason deletedById } } }
`;

const setPolicy = (input: Record<string, unknown>, token = s.compliance.token) => gql(t.url, SET, { input }, token);
const run = () => t.app.services.retention.run({ holderId: "retention-test" });
const recordingRow = (id: string) => t.app.services.dataSource.getRepository(RecordingEntity).findOneByOrFail({ id });
const mediaRow = (id: string) => t.app.services.dataSource.getRepository(RecordingMediaEntity).findOneBy({ recordingId: id });
const objectPath = (key: string) => path.join(t.app.config.dataDir, "media", "objects", ...key.split("/"));
const expiredEntries = async (recordingId: string) =>
  (await t.app.services.audit.list(200, undefined, { targetId: recordingId, action: "RECORDING_EXPIRED" as never })).entries;

/** An AVAILABLE recording with audio for the customer, `days` old. */
async function oldRecording(customerId: string, days: number): Promise<string> {
  const { recordingId } = await availableRecording(t, s, { customerId });
  await backdateRecording(t, recordingId, days);
  return recordingId;
}

describe("policies", () => {
  it("are set by a Compliance Administrator, listed (global first) and audited; days null keeps forever", async () => {
    const customerId = await newCustomer(t, s);
    const global = await setPolicy({ days: 400 });
    expect(global.errors).toBeUndefined();
    expect(global.data!.setRetentionPolicy).toMatchObject({ customerId: null, days: 400, setById: s.compliance.id });
    expect((await setPolicy({ customerId, days: null })).data!.setRetentionPolicy).toMatchObject({ customerId, days: null });
    expect((await setPolicy({ customerId, days: 7 })).data!.setRetentionPolicy).toMatchObject({ customerId, days: 7 });

    const listed = await gql(t.url, POLICIES, {}, s.compliance.token);
    expect(listed.data!.retentionPolicies[0]).toEqual({ customerId: null, days: 400, setById: s.compliance.id });
    expect(listed.data!.retentionPolicies).toContainEqual({ customerId, days: 7, setById: s.compliance.id });

    const audited = (await t.app.services.audit.list(10, undefined, { action: "RETENTION_POLICY_SET" as never })).entries.map((e) => e.details);
    expect(audited.slice(0, 3)).toEqual([
      { customerId, days: 7, previousDays: null, hadPolicy: true },
      { customerId, days: null, previousDays: null, hadPolicy: false },
      { customerId: null, days: 400, previousDays: null, hadPolicy: false },
    ]);
    await setPolicy({ days: null });
    await setPolicy({ customerId, days: null });
  });

  it.each([
    ["zero days", { days: 0 }, "BAD_USER_INPUT"],
    ["negative days", { days: -3 }, "BAD_USER_INPUT"],
    ["more than 100 years", { days: 36_501 }, "BAD_USER_INPUT"],
    ["an unknown customer", { customerId: "00000000-0000-0000-0000-000000000000", days: 3 }, "NOT_FOUND"],
  ])("refuses %s and changes nothing", async (_label, input, code) => {
    const before = await gql(t.url, POLICIES, {}, s.compliance.token);
    const auditHead = (await t.app.services.audit.list(1, undefined, {})).entries[0].position;
    expect(codesOf(await setPolicy(input))).toEqual([code]);
    expect(await gql(t.url, POLICIES, {}, s.compliance.token)).toEqual(before);
    expect((await t.app.services.audit.list(1, undefined, {})).entries[0].position).toBe(auditHead);
  });

  it("only a Compliance Administrator sets them", async () => {
    for (const user of [s.admin, s.manager, s.apiUser, s.agent]) expect(codesOf(await setPolicy({ days: 1 }, user.token))).toEqual(["FORBIDDEN"]);
  });
});

describe("the retention job", () => {
  it("turns recordings past their policy into tombstones with keys shredded and objects removed, exactly once; keeps the rest", async () => {
    const regular = await newCustomer(t, s, "Regular Customer");
    const forever = await newCustomer(t, s, "Keep Forever Customer");
    const short = await newCustomer(t, s, "Short Retention Customer");
    await setPolicy({ days: 30 });
    await setPolicy({ customerId: forever, days: null });
    await setPolicy({ customerId: short, days: 1 });

    const expired = [await oldRecording(regular, 40), await oldRecording(regular, 31), await oldRecording(short, 2)];
    const failedOld = await startCall(t, { ...s, customerId: regular }, await t.user([Role.AGENT], "no-audio"));
    await t.app.services.calls.end(s.apiUser.viewer, "test", failedOld.callId); // FAILED: no audio was streamed
    await backdateRecording(t, failedOld.recordingId, 45);
    expired.push(failedOld.recordingId);
    const kept = [await oldRecording(regular, 10), await oldRecording(forever, 400), await oldRecording(short, 0)];
    const held = await oldRecording(regular, 50);
    const hold = await t.app.services.legalHolds.place(s.compliance.viewer, "test", { recordingId: held, reason: "litigation" });
    const live = await startCall(t, { ...s, customerId: short }, await t.user([Role.AGENT], "live-agent"));
    await backdateRecording(t, live.recordingId, 3); // a call still in progress is never expired

    const objectKeys = new Map<string, string>();
    for (const id of expired) {
      const media = await mediaRow(id);
      if (media) objectKeys.set(id, media.objectKey);
    }
    expect(objectKeys.size).toBe(3);
    for (const key of objectKeys.values()) expect(fs.existsSync(objectPath(key))).toBe(true);

    const client = wsClient(t.wsUrl, s.compliance.token);
    const events = new SubscriptionRecorder(client, `subscription($customerId: ID!) { customerTimelineChanged(customerId: $customerId) { kind entry { id timelineText } } }`, {
      customerId: short,
    });
    await events.waitFor(1);

    const first = await run();
    expect(first).toMatchObject({ status: "FINISHED", expired: 4 });
    expect(first.batches).toBeGreaterThanOrEqual(2); // batches of 2

    for (const id of expired) {
      const row = await recordingRow(id);
      expect(row.state).toBe("DELETED");
      const days = id === expired[2] ? 1 : 30;
      expect(row.deletionReason).toBe(`Retention: ${days} ${days === 1 ? "day" : "days"}`);
      expect(row.deletedById).toBe(s.compliance.id); // the policy's author
      const shown = await gql(t.url, RECORDING, { id }, s.compliance.token);
      expect(shown.data!.recording).toMatchObject({ state: "DELETED", timelineText: "Recording has been deleted", deletion: { reason: row.deletionReason } });
      const entries = await expiredEntries(id);
      expect(entries).toHaveLength(1);
      expect(entries[0].actorId).toBeNull();
      expect(entries[0].details).toMatchObject({ reason: row.deletionReason, policy: { days, scope: id === expired[2] ? "CUSTOMER" : "GLOBAL" } });
      const media = await mediaRow(id);
      if (media) expect(media).toMatchObject({ wrappedKey: null, status: "SHREDDED" });
    }
    for (const key of objectKeys.values()) expect(fs.existsSync(objectPath(key))).toBe(false);
    for (const id of [...kept, held]) expect((await recordingRow(id)).state).toBe("AVAILABLE");
    expect((await recordingRow(live.recordingId)).state).toBe("RECORDING");

    const [deletedEvent] = (await events.waitFor(2)).slice(1);
    expect(deletedEvent.data!.customerTimelineChanged).toEqual({ kind: "RECORDING_DELETED", entry: { id: expired[2], timelineText: "Recording has been deleted" } });
    events.stop();
    await client.dispose();

    // Again: nothing left to do, nothing done twice.
    expect(await run()).toMatchObject({ status: "FINISHED", expired: 0 });
    for (const id of expired) expect(await expiredEntries(id)).toHaveLength(1);

    // Releasing the hold lets retention proceed.
    await t.app.services.legalHolds.release(s.compliance.viewer, "test", hold.id, "case closed");
    expect(await run()).toMatchObject({ expired: 1 });
    expect((await recordingRow(held)).state).toBe("DELETED");

    const runs = await gql(t.url, RUNS, {}, s.compliance.token);
    expect(runs.data!.retentionRuns.slice(0, 3).map((r: { expired: number; status: string }) => [r.status, r.expired])).toEqual([
      ["FINISHED", 1],
      ["FINISHED", 0],
      ["FINISHED", 4],
    ]);
    await t.app.services.calls.end(s.apiUser.viewer, "test", live.callId);
    await setPolicy({ days: null });
    await setPolicy({ customerId: short, days: null });
  });

  it("honours a policy changed mid-run: recordings the new policy keeps are kept", async () => {
    const customerId = await newCustomer(t, s, "Mid-run Customer");
    await setPolicy({ days: null }); // only this customer's policy applies: one batch per shouldContinue
    await setPolicy({ customerId, days: 5 });
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await oldRecording(customerId, 10 + i));
    let batchesSeen = 0;
    const result = await t.app.services.retention.run({
      holderId: "retention-test",
      // Asked before each batch: after the first batch, a Compliance Administrator lengthens the policy.
      shouldContinue: async () => {
        if (++batchesSeen === 2) expect((await setPolicy({ customerId, days: 365 })).errors).toBeUndefined();
        return true;
      },
    });
    expect(result).toMatchObject({ status: "FINISHED", expired: 2 });
    const states = await Promise.all(ids.map(async (id) => (await recordingRow(id)).state));
    expect(states.filter((state) => state === "DELETED")).toHaveLength(2);
    expect(states.filter((state) => state === "AVAILABLE")).toHaveLength(4);
    await setPolicy({ customerId, days: null });
  });

  it("stops between batches when told to (the lease was lost), and the next run carries on", async () => {
    const customerId = await newCustomer(t, s, "Interrupted Customer");
    await setPolicy({ days: null });
    await setPolicy({ customerId, days: 3 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await oldRecording(customerId, 4 + i));
    let asked = 0;
    const interrupted = await t.app.services.retention.run({ holderId: "retention-test", shouldContinue: async () => ++asked < 2 });
    expect(interrupted).toMatchObject({ status: "INTERRUPTED", expired: 2, batches: 1 });
    const resumed = await run();
    expect(resumed).toMatchObject({ status: "FINISHED", expired: 3 });
    for (const id of ids) expect(await expiredEntries(id)).toHaveLength(1);
    await setPolicy({ customerId, days: null });
  });
});
