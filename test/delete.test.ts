import { Role } from "../src/auth/role";
import { codesOf, gql, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { createScenario, PAUSE, RESUME, Scenario, STATE_SUBSCRIPTION } from "./support/scenario";
import { startTestApp, TestApp, TestUser } from "./support/test-app";
import { recordTone } from "./support/record-audio";

/** deleteRecording through the real API: who may delete, when, the receipt, the tombstone and what survives. */

let t: TestApp;
let s: Scenario;
let secondCompliance: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  s = await createScenario(t);
  secondCompliance = await t.user([Role.COMPLIANCE_ADMINISTRATOR], "compliance-2");
});
afterAll(() => t.close());

const TOMBSTONE = "Recording has been deleted";

const CREATE_CUSTOMER = /* GraphQL */ `
  mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }
`;
const START_CALL = /* GraphQL */ `
  mutation($input: StartCallInput!) { startCall(input: $input) { call { id } recording { id state } } }
`;
const END_CALL = /* GraphQL */ `
  mutation($callId: ID!) { endCall(callId: $callId) { call { id status } recording { id state } } }
`;
const DELETE = /* GraphQL */ `
  mutation($input: DeleteRecordingInput!) {
    deleteRecording(input: $input) { recordingId deletedAt deletedById reason mp3Sha256 }
  }
`;
const RECORDING = /* GraphQL */ `
  query($id: ID!) { recording(id: $id) { id state sequence timelineText deletedAt deletion { deletedById reason deletedAt } } }
`;
const RECORDING_SHA = /* GraphQL */ `
  query($id: ID!) { recording(id: $id) { sha256 } }
`;
const AUDIT = /* GraphQL */ `
  query($filter: AuditFilterInput) {
    auditLog(first: 200, filter: $filter) { edges { node { position action actorId targetType targetId details } } }
  }
`;
const TIMELINE = /* GraphQL */ `
  query($customerId: ID!) {
    customerTimeline(customerId: $customerId, first: 20) {
      edges { node { id isTombstone timelineText recording { id state deletion { deletedById reason deletedAt } } } }
    }
  }
`;
const TIMELINE_SUBSCRIPTION = /* GraphQL */ `
  subscription($customerId: ID!) {
    customerTimelineChanged(customerId: $customerId) { kind customerId entry { id isTombstone timelineText recording { id state } } }
  }
`;

async function newCustomer(): Promise<string> {
  const created = await gql(t.url, CREATE_CUSTOMER, { input: { name: "Delete Test Customer" } }, s.apiUser.token);
  expect(created.errors).toBeUndefined();
  return created.data!.createCustomer.id;
}

async function startCall(customerId: string, agent: TestUser = s.agent): Promise<{ callId: string; recordingId: string }> {
  const started = await gql(t.url, START_CALL, { input: { customerId, agentId: agent.id } }, s.apiUser.token);
  expect(started.errors).toBeUndefined();
  return { callId: started.data!.startCall.call.id, recordingId: started.data!.startCall.recording.id };
}

/** Streams a little real audio first (unless told not to), as the telephony gateway would, then ends the call. */
async function endCall(callId: string, withAudio = true): Promise<string> {
  if (withAudio) await recordTone(t, s.apiUser.token, callId);
  const ended = await gql(t.url, END_CALL, { callId }, s.apiUser.token);
  expect(ended.errors).toBeUndefined();
  return ended.data!.endCall.recording.state;
}

/** A finished call with real audio, whose recording is AVAILABLE. */
async function availableRecording(customerId?: string) {
  const ids = await startCall(customerId ?? (await newCustomer()));
  expect(await endCall(ids.callId)).toBe("AVAILABLE");
  return ids;
}

const recordingView = async (recordingId: string, token = s.compliance.token) => {
  const view = await gql(t.url, RECORDING, { id: recordingId }, token);
  expect(view.errors).toBeUndefined();
  return view.data!.recording;
};

const auditOf = async (targetId: string) => {
  const page = await gql(t.url, AUDIT, { filter: { targetId } }, s.compliance.token);
  expect(page.errors).toBeUndefined();
  return page.data!.auditLog.edges.map((e: { node: Record<string, any> }) => e.node);
};

const deletionsOf = async (recordingId: string) => (await auditOf(recordingId)).filter((e: { action: string }) => e.action === "RECORDING_DELETED");

const deleteAs = (user: TestUser | undefined, recordingId: string, reason: string) =>
  gql(t.url, DELETE, { input: { recordingId, reason } }, user?.token);

describe("deleteRecording refuses a live recording", () => {
  type Live = { recordingId: string; callId: string; settled?: string; finish: () => Promise<void> };
  const setups: Record<string, () => Promise<Live>> = {
    RECORDING: async () => {
      const ids = await startCall(await newCustomer());
      return { ...ids, finish: async () => void (await endCall(ids.callId)) };
    },
    PAUSED: async () => {
      const ids = await startCall(await newCustomer());
      const paused = await gql(t.url, PAUSE, { input: { recordingId: ids.recordingId, reason: "card number" } }, s.agent.token);
      expect(paused.data?.pauseRecording.state).toBe("PAUSED");
      return { ...ids, finish: async () => void (await endCall(ids.callId)) };
    },
    PROCESSING: async () => {
      // The call ends while its audio is still being written (by the instance holding the stream): PROCESSING.
      const ids = await startCall(await newCustomer());
      const upload = await t.app.services.media.beginIngest(ids.recordingId);
      expect(await endCall(ids.callId, false)).toBe("PROCESSING");
      return {
        ...ids,
        settled: "FAILED",
        finish: async () => {
          await t.app.services.media.abandonIngest(ids.recordingId, upload);
          await t.app.services.sessions.finalize(ids.recordingId);
        },
      };
    },
  };

  it.each(Object.keys(setups))("while %s: RECORDING_IN_PROGRESS, and nothing changes", async (state) => {
    const live = await setups[state]();
    const before = await recordingView(live.recordingId);
    expect(before.state).toBe(state);

    const client = wsClient(t.wsUrl, s.compliance.token);
    const watch = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { recordingId: live.recordingId });
    try {
      await watch.waitFor(1);
      const refused = await deleteAs(s.compliance, live.recordingId, "customer asked for erasure");
      expect(codesOf(refused)).toEqual(["RECORDING_IN_PROGRESS"]);
      expect(refused.data).toBeNull();

      expect(await recordingView(live.recordingId)).toEqual(before);
      expect(before).toMatchObject({ deletedAt: null, deletion: null });
      expect(await deletionsOf(live.recordingId)).toEqual([]);
      expect(await watch.quietFor(200)).toBe(0);
    } finally {
      watch.stop();
      await client.dispose();
    }

    // Once the call is over and the recording is settled, the same request succeeds.
    await live.finish();
    expect((await recordingView(live.recordingId)).state).toBe(live.settled ?? "AVAILABLE");
    const deleted = await deleteAs(s.compliance, live.recordingId, "customer asked for erasure");
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data?.deleteRecording.recordingId).toBe(live.recordingId);
  });
});

describe("deleteRecording input and permissions", () => {
  let recordingId: string;
  beforeAll(async () => {
    ({ recordingId } = await availableRecording());
  });

  it.each([
    ["an empty reason", ""],
    ["a whitespace-only reason", "  \t\n  "],
    ["a reason over 1000 characters", "x".repeat(1001)],
  ])("refuses %s with BAD_USER_INPUT and changes nothing", async (_label, reason) => {
    const refused = await deleteAs(s.compliance, recordingId, reason);
    expect(codesOf(refused)).toEqual(["BAD_USER_INPUT"]);
    expect(await recordingView(recordingId)).toMatchObject({ state: "AVAILABLE", deletedAt: null, deletion: null });
    expect(await deletionsOf(recordingId)).toEqual([]);
  });

  it("refuses a request without a reason at all (GraphQL validation)", async () => {
    const refused = await gql(t.url, DELETE, { input: { recordingId } }, s.compliance.token);
    expect(codesOf(refused)).toEqual(["BAD_USER_INPUT"]);
    expect((await recordingView(recordingId)).state).toBe("AVAILABLE");
  });

  it.each([
    ["an unknown uuid", "00000000-0000-0000-0000-000000000000"],
    ["an id that is not a uuid", "no-such-recording"],
  ])("answers NOT_FOUND for %s", async (_label, id) => {
    expect(codesOf(await deleteAs(s.compliance, id, "cleanup"))).toEqual(["NOT_FOUND"]);
  });

  it.each([[Role.ADMINISTRATOR], [Role.TEAM_MANAGER], [Role.AGENT], [Role.API_USER]])("refuses %s with FORBIDDEN", async (role) => {
    const user = await t.user([role], `not-compliance-${role}`);
    expect(codesOf(await deleteAs(user, recordingId, "I would like to"))).toEqual(["FORBIDDEN"]);
    expect((await recordingView(recordingId)).state).toBe("AVAILABLE");
  });

  it("refuses an anonymous request with UNAUTHENTICATED", async () => {
    expect(codesOf(await deleteAs(undefined, recordingId, "anonymous"))).toEqual(["UNAUTHENTICATED"]);
    expect((await recordingView(recordingId)).state).toBe("AVAILABLE");
  });

  it("accepts a reason of exactly 1000 characters", async () => {
    const reason = "r".repeat(1000);
    const deleted = await deleteAs(s.compliance, recordingId, reason);
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data?.deleteRecording.reason).toBe(reason);
  });
});

describe("a successful delete", () => {
  let customerId: string;
  let callId: string;
  let recordingId: string;
  let receipt: Record<string, any>;
  let sha256Before: string | null;
  const cleanups: (() => Promise<void> | void)[] = [];
  let stateWatch: SubscriptionRecorder;
  let timelineWatch: SubscriptionRecorder;
  let startedAt: number;
  let finishedAt: number;

  beforeAll(async () => {
    customerId = await newCustomer();
    ({ callId, recordingId } = await startCall(customerId));
    expect((await gql(t.url, PAUSE, { input: { recordingId, reason: "card number" } }, s.agent.token)).errors).toBeUndefined();
    expect((await gql(t.url, RESUME, { input: { recordingId } }, s.agent.token)).errors).toBeUndefined();
    expect(await endCall(callId)).toBe("AVAILABLE");
    const sha = await gql(t.url, RECORDING_SHA, { id: recordingId }, s.compliance.token);
    expect(sha.errors).toBeUndefined();
    sha256Before = sha.data!.recording.sha256;

    const client = wsClient(t.wsUrl, s.compliance.token);
    cleanups.push(() => client.dispose());
    stateWatch = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { recordingId });
    timelineWatch = new SubscriptionRecorder(client, TIMELINE_SUBSCRIPTION, { customerId });
    cleanups.push(() => stateWatch.stop(), () => timelineWatch.stop());
    await stateWatch.waitFor(1);
    await timelineWatch.waitFor(1);

    startedAt = Date.now();
    const deleted = await deleteAs(s.compliance, recordingId, "customer requested erasure (ticket 4711)");
    finishedAt = Date.now();
    expect(deleted.errors).toBeUndefined();
    receipt = deleted.data!.deleteRecording;
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("answers with a deletion receipt", () => {
    expect(receipt).toEqual({
      recordingId,
      deletedAt: expect.any(String),
      deletedById: s.compliance.id,
      reason: "customer requested erasure (ticket 4711)",
      mp3Sha256: sha256Before,
    });
    const deletedAt = Date.parse(receipt.deletedAt);
    expect(deletedAt).toBeGreaterThanOrEqual(startedAt - 1);
    expect(deletedAt).toBeLessThanOrEqual(finishedAt + 1);
  });

  it("leaves a tombstone: state DELETED, the tombstone text, and who deleted it, when and why", async () => {
    const view = await recordingView(recordingId);
    expect(view).toMatchObject({
      id: recordingId,
      state: "DELETED",
      timelineText: TOMBSTONE,
      deletedAt: receipt.deletedAt,
      deletion: { deletedById: s.compliance.id, reason: receipt.reason, deletedAt: receipt.deletedAt },
    });
  });

  it("shows the agent the tombstone text but not who deleted it", async () => {
    const view = await gql(t.url, RECORDING, { id: recordingId }, s.agent.token);
    expect(codesOf(view)).toEqual(["FORBIDDEN"]);
    expect(view.data?.recording).toMatchObject({ state: "DELETED", timelineText: TOMBSTONE, deletion: null });
  });

  it("keeps the recording on the customer's timeline as a tombstone", async () => {
    const timeline = await gql(t.url, TIMELINE, { customerId }, s.compliance.token);
    expect(timeline.errors).toBeUndefined();
    expect(timeline.data?.customerTimeline.edges.map((e: { node: unknown }) => e.node)).toEqual([
      {
        id: recordingId,
        isTombstone: true,
        timelineText: TOMBSTONE,
        recording: { id: recordingId, state: "DELETED", deletion: { deletedById: s.compliance.id, reason: receipt.reason, deletedAt: receipt.deletedAt } },
      },
    ]);
  });

  it("emits one state change and one timeline event", async () => {
    const stateMessages = (await stateWatch.waitFor(2)).map((m) => m.data?.recordingStateChanged);
    expect(stateMessages[1]).toMatchObject({ kind: "CHANGE", recordingId, previousState: "AVAILABLE", state: "DELETED", actorId: s.compliance.id });
    const timelineMessages = (await timelineWatch.waitFor(2)).map((m) => m.data?.customerTimelineChanged);
    expect(timelineMessages.map((m) => m.kind)).toEqual(["SNAPSHOT", "RECORDING_DELETED"]);
    expect(timelineMessages[1]).toMatchObject({ customerId, entry: { id: recordingId, isTombstone: true, timelineText: TOMBSTONE, recording: { state: "DELETED" } } });
  });

  it("is idempotent: deleting again returns the same receipt, writes no second audit entry and emits nothing", async () => {
    await stateWatch.waitFor(2);
    await timelineWatch.waitFor(2);
    const sequence = (await recordingView(recordingId)).sequence;

    const again = await deleteAs(s.compliance, recordingId, "a different reason");
    expect(again.errors).toBeUndefined();
    expect(again.data?.deleteRecording).toEqual(receipt);
    const byAnother = await deleteAs(secondCompliance, recordingId, "yet another reason");
    expect(byAnother.errors).toBeUndefined();
    expect(byAnother.data?.deleteRecording).toEqual(receipt);

    expect(await deletionsOf(recordingId)).toHaveLength(1);
    expect(await recordingView(recordingId)).toMatchObject({ sequence, deletion: { deletedById: s.compliance.id, reason: receipt.reason, deletedAt: receipt.deletedAt } });
    expect(await stateWatch.quietFor(300)).toBe(0);
    expect(timelineWatch.messages).toHaveLength(2);
  });

  it("keeps every audit entry about the recording and its call", async () => {
    const aboutRecording = await auditOf(recordingId);
    expect(aboutRecording.map((e: { action: string }) => e.action)).toEqual(["RECORDING_DELETED", "RECORDING_RESUMED", "RECORDING_PAUSED"]);
    expect(aboutRecording[0]).toMatchObject({
      actorId: s.compliance.id,
      targetType: "RECORDING",
      details: expect.objectContaining({ reason: receipt.reason, previousState: "AVAILABLE" }),
    });
    const aboutCall = await auditOf(callId);
    expect(aboutCall.map((e: { action: string }) => e.action)).toEqual(["CALL_ENDED", "CALL_STARTED"]);
    expect(aboutCall[0].details).toMatchObject({ recordingId });

    const verified = await gql(t.url, `{ verifyAuditChain { valid firstInvalidPosition } }`, {}, s.compliance.token);
    expect(verified.data?.verifyAuditChain).toEqual({ valid: true, firstInvalidPosition: null });
  });
});

describe("concurrent deletes of one recording", () => {
  it("write one tombstone and one audit entry, and every caller gets the same receipt", async () => {
    const { recordingId } = await availableRecording();
    const admins = [s.compliance, secondCompliance, s.compliance, secondCompliance, s.compliance, secondCompliance];
    const results = await Promise.all(admins.map((admin, i) => deleteAs(admin, recordingId, `parallel request ${i}`)));
    for (const result of results) expect(result.errors).toBeUndefined();
    const receipts = results.map((r) => r.data!.deleteRecording);
    for (const receipt of receipts) expect(receipt).toEqual(receipts[0]);
    expect(await deletionsOf(recordingId)).toHaveLength(1);
    const view = await recordingView(recordingId);
    expect(view).toMatchObject({ state: "DELETED", deletion: { deletedById: receipts[0].deletedById, reason: receipts[0].reason, deletedAt: receipts[0].deletedAt } });
  });
});

describe("deleting a FAILED recording", () => {
  it("is allowed: there was no audio, so the receipt carries no MP3 hash", async () => {
    const { callId, recordingId } = await startCall(await newCustomer());
    expect(await endCall(callId, false)).toBe("FAILED");
    expect((await recordingView(recordingId)).state).toBe("FAILED");

    const deleted = await deleteAs(s.compliance, recordingId, "failed recording, nothing to keep");
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data?.deleteRecording).toMatchObject({ recordingId, deletedById: s.compliance.id, mp3Sha256: null });
    expect(await recordingView(recordingId)).toMatchObject({ state: "DELETED", timelineText: TOMBSTONE });
  });
});
