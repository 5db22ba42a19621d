import { Role } from "../src/auth/role";
import { RecordingEntity } from "../src/recordings/recording.entity";
import { codesOf, gql, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { PAUSE, RESUME, Scenario, startScenarioApp } from "./support/scenario";
import { TestApp, TestUser } from "./support/test-app";
import { recordTone } from "./support/record-audio";

/** The customer's Conversation Timeline through the real API: paging over HTTP and live changes over graphql-ws. */

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

const TOMBSTONE = "Recording has been deleted";

const CREATE_CUSTOMER = /* GraphQL */ `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }`;
const START_CALL = /* GraphQL */ `mutation($input: StartCallInput!) { startCall(input: $input) { call { id } recording { id } } }`;
const END_CALL = /* GraphQL */ `mutation($callId: ID!) { endCall(callId: $callId) { recording { state } } }`;
const DELETE = /* GraphQL */ `mutation($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId } }`;
const TIMELINE = /* GraphQL */ `
  query($customerId: ID!, $first: Int!, $after: String) {
    customerTimeline(customerId: $customerId, first: $first, after: $after) {
      edges { cursor node { id occurredAt isTombstone timelineText recording { id agentId customerId state } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
const TIMELINE_SUBSCRIPTION = /* GraphQL */ `
  subscription($customerId: ID!) {
    customerTimelineChanged(customerId: $customerId) {
      kind customerId occurredAt entry { id isTombstone timelineText recording { id agentId state } }
    }
  }
`;

interface Entry {
  id: string;
  occurredAt: string;
  isTombstone: boolean;
  timelineText: string;
  recording: { id: string; agentId: string; customerId: string; state: string };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function newCustomer(name = "Timeline Customer"): Promise<string> {
  const created = await gql(t.url, CREATE_CUSTOMER, { input: { name } }, s.apiUser.token);
  expect(created.errors).toBeUndefined();
  return created.data!.createCustomer.id;
}

async function startCall(customerId: string, agent: TestUser = s.agent) {
  const started = await gql(t.url, START_CALL, { input: { customerId, agentId: agent.id } }, s.apiUser.token);
  expect(started.errors).toBeUndefined();
  return { callId: started.data!.startCall.call.id as string, recordingId: started.data!.startCall.recording.id as string };
}

/** Streams a little real audio first (unless told not to), as the telephony gateway would, then ends the call. */
async function endCall(callId: string, withAudio = true) {
  if (withAudio) await recordTone(t, s.apiUser.token, callId);
  const ended = await gql(t.url, END_CALL, { callId }, s.apiUser.token);
  expect(ended.errors).toBeUndefined();
  return ended.data!.endCall.recording.state as string;
}

/** A finished call; the short sleep keeps start times distinct, so "newest first" has one right answer. */
async function pastCall(customerId: string, agent: TestUser = s.agent): Promise<string> {
  await sleep(3);
  const { callId, recordingId } = await startCall(customerId, agent);
  await endCall(callId);
  return recordingId;
}

async function timelinePage(token: string, customerId: string, first: number, after?: string) {
  const response = await gql(t.url, TIMELINE, { customerId, first, after }, token);
  expect(response.errors).toBeUndefined();
  return response.data!.customerTimeline as { edges: { cursor: string; node: Entry }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/** Follows the cursors to the end; returns the entries in the order served and how many pages it took. */
async function readTimeline(token: string, customerId: string, first: number) {
  const entries: Entry[] = [];
  let after: string | undefined;
  for (let pages = 1; pages < 100; pages++) {
    const { edges, pageInfo } = await timelinePage(token, customerId, first, after);
    expect(edges.length).toBeLessThanOrEqual(first);
    entries.push(...edges.map((e) => e.node));
    if (!pageInfo.hasNextPage) return { entries, pages };
    expect(edges).toHaveLength(first);
    expect(pageInfo.endCursor).toBe(edges.at(-1)!.cursor);
    after = pageInfo.endCursor!;
  }
  throw new Error("customerTimeline never reached its last page");
}

describe("customerTimeline paging", () => {
  let customerId: string;
  /** Oldest first, as created. */
  const created: { recordingId: string; agent: TestUser }[] = [];

  beforeAll(async () => {
    customerId = await newCustomer();
    const agents = [s.agent, s.otherAgent, s.agent, s.agent, s.otherAgent, s.agent, s.otherAgent];
    for (const agent of agents) created.push({ recordingId: await pastCall(customerId, agent), agent });
    // Another customer's calls never show up.
    await pastCall(await newCustomer("Someone Else"), s.agent);
  });

  const newestFirst = (agent?: TestUser) =>
    created
      .filter((c) => !agent || c.agent === agent)
      .map((c) => c.recordingId)
      .reverse();

  it.each([[1], [2], [3], [7], [100]])("pages with first: %i newest first, each entry exactly once", async (first) => {
    const { entries, pages } = await readTimeline(s.compliance.token, customerId, first);
    expect(entries.map((e) => e.id)).toEqual(newestFirst());
    expect(pages).toBe(Math.max(1, Math.ceil(created.length / first)));
    for (const entry of entries) {
      expect(entry).toMatchObject({ isTombstone: false, timelineText: "Call recording", recording: { id: entry.id, customerId, state: "AVAILABLE" } });
    }
    const occurred = entries.map((e) => Date.parse(e.occurredAt));
    expect([...occurred].sort((a, b) => b - a)).toEqual(occurred);
  });

  it("stops with hasNextPage false; the last cursor leads to an empty page", async () => {
    const first = await timelinePage(s.compliance.token, customerId, 4);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await timelinePage(s.compliance.token, customerId, 4, first.pageInfo.endCursor!);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect(second.edges).toHaveLength(3);
    expect(await timelinePage(s.compliance.token, customerId, 4, second.pageInfo.endCursor!)).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it.each([
    ["the agent", () => s.agent],
    ["the other agent", () => s.otherAgent],
  ])("%s sees only the entries of their own calls", async (_label, agent) => {
    const { entries } = await readTimeline(agent().token, customerId, 2);
    expect(entries.map((e) => e.id)).toEqual(newestFirst(agent()));
    for (const entry of entries) expect(entry.recording.agentId).toBe(agent().id);
  });

  it("an agent who handled none of the customer's calls sees an empty timeline", async () => {
    const newcomer = await t.user([Role.AGENT], "newcomer");
    expect(await timelinePage(newcomer.token, customerId, 5)).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it.each([[[Role.TEAM_MANAGER]], [[Role.ADMINISTRATOR]], [[Role.COMPLIANCE_ADMINISTRATOR]], [[Role.API_USER]], [[Role.AGENT, Role.TEAM_MANAGER]]])(
    "%j sees every entry",
    async (roles) => {
      const viewer = await t.user(roles, "timeline-viewer");
      const { entries } = await readTimeline(viewer.token, customerId, 3);
      expect(entries.map((e) => e.id)).toEqual(newestFirst());
    },
  );

  it("a cursor stays valid while newer calls arrive: the rest of the pages neither repeat nor skip", async () => {
    const first = await timelinePage(s.manager.token, customerId, 3);
    expect(first.edges.map((e) => e.node.id)).toEqual(newestFirst().slice(0, 3));
    const newer = await startCall(customerId, s.otherAgent);
    try {
      const rest = await timelinePage(s.manager.token, customerId, 100, first.pageInfo.endCursor!);
      expect(rest.edges.map((e) => e.node.id)).toEqual(newestFirst().slice(3));
      expect((await timelinePage(s.manager.token, customerId, 1)).edges[0].node.id).toBe(newer.recordingId);
    } finally {
      await endCall(newer.callId);
      created.push({ recordingId: newer.recordingId, agent: s.otherAgent });
    }
  });

  it.each([
    ["first: 0", { first: 0 }],
    ["first: -1", { first: -1 }],
    ["first: 101", { first: 101 }],
    ["an after that is not a cursor", { first: 5, after: "definitely-not-a-cursor" }],
    ["a cursor with a bad date", { first: 5, after: Buffer.from(JSON.stringify(["yesterday", "x"])).toString("base64url") }],
    ["a cursor with no id", { first: 5, after: Buffer.from(JSON.stringify(["2024-01-01T00:00:00.000Z"])).toString("base64url") }],
    ["a cursor of the audit log", { first: 5, after: Buffer.from("audit:12").toString("base64url") }],
    ["an over-long cursor", { first: 5, after: "A".repeat(500) }],
  ])("refuses %s with BAD_USER_INPUT", async (_label, variables) => {
    expect(codesOf(await gql(t.url, TIMELINE, { customerId, ...variables }, s.compliance.token))).toEqual(["BAD_USER_INPUT"]);
  });

  it.each([
    ["an unknown uuid", "00000000-0000-0000-0000-000000000000"],
    ["an id that is not a uuid", "no-such-customer"],
  ])("answers NOT_FOUND for %s", async (_label, unknown) => {
    expect(codesOf(await gql(t.url, TIMELINE, { customerId: unknown, first: 5 }, s.compliance.token))).toEqual(["NOT_FOUND"]);
  });

  it("refuses anonymous requests with UNAUTHENTICATED", async () => {
    expect(codesOf(await gql(t.url, TIMELINE, { customerId, first: 5 }))).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("customerTimeline entries", () => {
  it("show a live call, a paused one and a tombstone with their own text", async () => {
    const customerId = await newCustomer();
    const deletedId = await pastCall(customerId, s.otherAgent);
    expect((await gql(t.url, DELETE, { input: { recordingId: deletedId, reason: "erasure" } }, s.compliance.token)).errors).toBeUndefined();
    await sleep(3);
    const live = await startCall(customerId, s.agent);

    let { entries } = await readTimeline(s.manager.token, customerId, 10);
    expect(entries.map((e) => [e.id, e.recording.state, e.isTombstone, e.timelineText])).toEqual([
      [live.recordingId, "RECORDING", false, "Call in progress (recording)"],
      [deletedId, "DELETED", true, TOMBSTONE],
    ]);

    expect((await gql(t.url, PAUSE, { input: { recordingId: live.recordingId } }, s.agent.token)).errors).toBeUndefined();
    ({ entries } = await readTimeline(s.manager.token, customerId, 10));
    expect(entries[0]).toMatchObject({ id: live.recordingId, isTombstone: false, timelineText: "Call in progress (Recording Paused)", recording: { state: "PAUSED" } });
    await endCall(live.callId);
  });

  it("pages correctly through calls that started in the same millisecond", async () => {
    const customerId = await newCustomer();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await pastCall(customerId, i % 2 ? s.agent : s.otherAgent));
    // The point here is the tie-break of the cursor, so give every call the same start time directly.
    const sameInstant = new Date("2024-05-01T10:00:00.123Z");
    const repo = t.app.services.dataSource.getRepository(RecordingEntity);
    await repo.update({ customerId }, { startedAt: sameInstant });

    const one = (await readTimeline(s.compliance.token, customerId, 1)).entries.map((e) => e.id);
    const two = (await readTimeline(s.compliance.token, customerId, 2)).entries.map((e) => e.id);
    const all = (await readTimeline(s.compliance.token, customerId, 100)).entries.map((e) => e.id);
    expect([...all].sort()).toEqual([...ids].sort());
    expect(one).toEqual(all);
    expect(two).toEqual(all);
  });
});

describe("customerTimelineChanged over graphql-ws", () => {
  const opened: { stop(): void }[] = [];
  const clients: ReturnType<typeof wsClient>[] = [];
  afterEach(async () => {
    for (const watch of opened.splice(0)) watch.stop();
    for (const client of clients.splice(0)) await client.dispose();
  });

  function watch(user: TestUser, customerId: string) {
    const client = wsClient(t.wsUrl, user.token);
    clients.push(client);
    const recorder = new SubscriptionRecorder(client, TIMELINE_SUBSCRIPTION, { customerId });
    opened.push(recorder);
    return recorder;
  }
  const changes = (recorder: SubscriptionRecorder) => recorder.messages.map((m) => m.data?.customerTimelineChanged);

  it("starts with a SNAPSHOT, then sends call started, call ended, recording available and deleted, in order", async () => {
    const customerId = await newCustomer();
    const other = await newCustomer("Other");
    const recorder = watch(s.compliance, customerId);
    const [snapshot] = await recorder.waitFor(1);
    expect(snapshot.errors).toBeUndefined();
    expect(snapshot.data?.customerTimelineChanged).toMatchObject({ kind: "SNAPSHOT", customerId, entry: null });

    const { callId, recordingId } = await startCall(customerId);
    await recorder.waitFor(2);
    expect((await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token)).errors).toBeUndefined();
    expect(await endCall(callId)).toBe("AVAILABLE");
    await recorder.waitFor(4);
    expect((await gql(t.url, DELETE, { input: { recordingId, reason: "erasure" } }, s.compliance.token)).errors).toBeUndefined();
    await recorder.waitFor(5);

    const received = changes(recorder);
    expect(received.map((m) => m.kind)).toEqual(["SNAPSHOT", "CALL_STARTED", "CALL_ENDED", "RECORDING_AVAILABLE", "RECORDING_DELETED"]);
    for (const message of received.slice(1)) expect(message).toMatchObject({ customerId, entry: { id: recordingId, recording: { id: recordingId, agentId: s.agent.id } } });
    expect(received[4].entry).toMatchObject({ isTombstone: true, timelineText: TOMBSTONE, recording: { state: "DELETED" } });
    const occurred = received.map((m) => Date.parse(m.occurredAt));
    expect([...occurred].sort((a, b) => a - b)).toEqual(occurred);

    // Another customer's calls send nothing here.
    const elsewhere = await startCall(other, s.otherAgent);
    await endCall(elsewhere.callId);
    expect(await recorder.quietFor(300)).toBe(0);
  });

  it("pausing and resuming are not timeline changes", async () => {
    const customerId = await newCustomer();
    const { callId, recordingId } = await startCall(customerId);
    const recorder = watch(s.manager, customerId);
    await recorder.waitFor(1);
    expect(changes(recorder)[0]).toMatchObject({ kind: "SNAPSHOT", entry: { id: recordingId, recording: { state: "RECORDING" } } });
    expect((await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token)).errors).toBeUndefined();
    expect((await gql(t.url, RESUME, { input: { recordingId } }, s.agent.token)).errors).toBeUndefined();
    expect(await recorder.quietFor(300)).toBe(0);
    await endCall(callId);
    await recorder.waitFor(3);
    expect(changes(recorder).map((m) => m.kind)).toEqual(["SNAPSHOT", "CALL_ENDED", "RECORDING_AVAILABLE"]);
  });

  it("the SNAPSHOT carries the newest entry (the live call if there is one)", async () => {
    const customerId = await newCustomer();
    await pastCall(customerId, s.agent);
    const newest = await pastCall(customerId, s.otherAgent);
    const first = watch(s.manager, customerId);
    await first.waitFor(1);
    expect(changes(first)[0]).toMatchObject({ kind: "SNAPSHOT", customerId, entry: { id: newest, recording: { state: "AVAILABLE" } } });

    const live = await startCall(customerId, s.agent);
    const second = watch(s.manager, customerId);
    await second.waitFor(1);
    expect(changes(second)[0]).toMatchObject({ kind: "SNAPSHOT", entry: { id: live.recordingId, recording: { state: "RECORDING" } } });
    await endCall(live.callId);
  });

  it("an agent subscriber gets only their own calls, from the SNAPSHOT on; a manager gets everything", async () => {
    const customerId = await newCustomer();
    const ownOld = await pastCall(customerId, s.agent);
    await pastCall(customerId, s.otherAgent);
    const agentWatch = watch(s.agent, customerId);
    const managerWatch = watch(s.manager, customerId);
    await agentWatch.waitFor(1);
    await managerWatch.waitFor(1);
    expect(changes(agentWatch)[0]).toMatchObject({ kind: "SNAPSHOT", entry: { id: ownOld } });

    const theirs = await startCall(customerId, s.otherAgent);
    await endCall(theirs.callId);
    await managerWatch.waitFor(4);
    expect(await agentWatch.quietFor(300)).toBe(0);
    expect(changes(agentWatch)).toHaveLength(1);

    const mine = await startCall(customerId, s.agent);
    await endCall(mine.callId);
    await agentWatch.waitFor(4);
    await managerWatch.waitFor(7);
    expect(changes(agentWatch).map((m) => [m.kind, m.entry?.id])).toEqual([
      ["SNAPSHOT", ownOld],
      ["CALL_STARTED", mine.recordingId],
      ["CALL_ENDED", mine.recordingId],
      ["RECORDING_AVAILABLE", mine.recordingId],
    ]);
    expect(changes(managerWatch).map((m) => [m.kind, m.entry?.id])).toEqual([
      ["SNAPSHOT", expect.any(String)],
      ["CALL_STARTED", theirs.recordingId],
      ["CALL_ENDED", theirs.recordingId],
      ["RECORDING_AVAILABLE", theirs.recordingId],
      ["CALL_STARTED", mine.recordingId],
      ["CALL_ENDED", mine.recordingId],
      ["RECORDING_AVAILABLE", mine.recordingId],
    ]);
    expect(await agentWatch.quietFor(200)).toBe(0);
  });

  it("an agent's SNAPSHOT is empty when they handled none of the customer's calls", async () => {
    const customerId = await newCustomer();
    await pastCall(customerId, s.otherAgent);
    const recorder = watch(s.agent, customerId);
    await recorder.waitFor(1);
    expect(changes(recorder)[0]).toMatchObject({ kind: "SNAPSHOT", customerId, entry: null });
  });

  it("answers an unknown customer with NOT_FOUND", async () => {
    const recorder = watch(s.manager, "00000000-0000-0000-0000-000000000000");
    await recorder.waitFor(1);
    const errors = (recorder.error as { extensions?: { code?: string } }[] | undefined) ?? recorder.messages.flatMap((m) => m.errors ?? []);
    expect(errors.map((e) => e.extensions?.code)).toEqual(["NOT_FOUND"]);
  });
});
