import { hashAuditEntry } from "../src/audit/audit-hash";
import { Role } from "../src/auth/role";
import { codesOf, gql, GraphQLResponse } from "./support/graphql-client";
import { createScenario, PAUSE, RESUME, Scenario, startScenarioApp } from "./support/scenario";
import { startTestApp, TestApp, TestUser } from "./support/test-app";

/** The audit log through the real API: reading, paging, filtering, what gets audited, and tamper detection. */

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

const GENESIS = "0".repeat(64);

const ENTRY_FIELDS = "position occurredAt actorId actorRoles action targetType targetId details requestId prevHash hash";
const AUDIT_LOG = /* GraphQL */ `
  query($first: Int!, $after: String, $filter: AuditFilterInput) {
    auditLog(first: $first, after: $after, filter: $filter) {
      edges { cursor node { ${ENTRY_FIELDS} } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
const VERIFY = /* GraphQL */ `{ verifyAuditChain { valid checkedEntries firstInvalidPosition } }`;
const CREATE_CUSTOMER = /* GraphQL */ `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }`;
const CREATE_USER = /* GraphQL */ `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const ASSIGN_ROLES = /* GraphQL */ `mutation($userId: ID!, $roles: [Role!]!) { assignRoles(userId: $userId, roles: $roles) { id roles } }`;
const START_CALL = /* GraphQL */ `mutation($input: StartCallInput!) { startCall(input: $input) { call { id } recording { id } } }`;
const END_CALL = /* GraphQL */ `mutation($callId: ID!) { endCall(callId: $callId) { recording { state } } }`;
const DELETE = /* GraphQL */ `mutation($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId } }`;

interface AuditEntry {
  position: number;
  occurredAt: string;
  actorId: string | null;
  actorRoles: string[];
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, any>;
  requestId: string;
  prevHash: string;
  hash: string;
}

/** gql() plus request headers, and the response's headers. */
async function gqlWithHeaders(url: string, query: string, variables: Record<string, unknown>, token: string, headers: Record<string, string>) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { headers: response.headers, body: (await response.json()) as Omit<GraphQLResponse, "status"> };
}

const ok = <T extends GraphQLResponse>(response: T): NonNullable<T["data"]> => {
  expect(response.errors).toBeUndefined();
  return response.data as NonNullable<T["data"]>;
};

async function page(app: TestApp, token: string, first: number, after?: string, filter?: Record<string, unknown>) {
  return ok(await gql(app.url, AUDIT_LOG, { first, after, filter }, token)).auditLog as {
    edges: { cursor: string; node: AuditEntry }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** Follows the cursors to the end; returns every entry in the order served. */
async function readAll(app: TestApp, token: string, filter?: Record<string, unknown>, pageSize = 7): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const { edges, pageInfo } = await page(app, token, pageSize, after, filter);
    entries.push(...edges.map((e) => e.node));
    if (!pageInfo.hasNextPage) return entries;
    expect(pageInfo.endCursor).toBe(edges.at(-1)!.cursor);
    after = pageInfo.endCursor!;
  }
  throw new Error("auditLog never reached its last page");
}

const verify = async (app: TestApp, token: string) =>
  ok(await gql(app.url, VERIFY, {}, token)).verifyAuditChain as { valid: boolean; checkedEntries: number; firstInvalidPosition: number | null };

const newestPosition = async () => (await page(t, s.compliance.token, 1)).edges[0]?.node.position ?? 0;
const entriesAfter = async (position: number) => (await page(t, s.compliance.token, 50)).edges.map((e) => e.node).filter((e) => e.position > position);

async function newCustomer(app: TestApp, token: string, name = "Audit Customer"): Promise<string> {
  return ok(await gql(app.url, CREATE_CUSTOMER, { input: { name } }, token)).createCustomer.id;
}

async function startCall(app: TestApp, scenario: Scenario, agent: TestUser = scenario.agent, customerId = scenario.customerId) {
  const started = ok(await gql(app.url, START_CALL, { input: { customerId, agentId: agent.id } }, scenario.apiUser.token)).startCall;
  return { callId: started.call.id as string, recordingId: started.recording.id as string };
}

const endCall = async (app: TestApp, scenario: Scenario, callId: string) => ok(await gql(app.url, END_CALL, { callId }, scenario.apiUser.token));

describe("who may read the audit log", () => {
  it.each([[Role.ADMINISTRATOR], [Role.TEAM_MANAGER], [Role.AGENT], [Role.API_USER]])("%s gets FORBIDDEN", async (role) => {
    const user = await t.user([role], `reader-${role}`);
    expect(codesOf(await gql(t.url, AUDIT_LOG, { first: 5 }, user.token))).toEqual(["FORBIDDEN"]);
    expect(codesOf(await gql(t.url, VERIFY, {}, user.token))).toEqual(["FORBIDDEN"]);
  });

  it("anonymous requests get UNAUTHENTICATED", async () => {
    expect(codesOf(await gql(t.url, AUDIT_LOG, { first: 5 }))).toEqual(["UNAUTHENTICATED"]);
    expect(codesOf(await gql(t.url, VERIFY, {}))).toEqual(["UNAUTHENTICATED"]);
  });

  it("a COMPLIANCE_ADMINISTRATOR reads it", async () => {
    expect((await page(t, s.compliance.token, 5)).edges.length).toBeGreaterThan(0);
    expect(await verify(t, s.compliance.token)).toMatchObject({ valid: true, firstInvalidPosition: null });
  });
});

describe("every audited action writes exactly one entry", () => {
  type Expected = { action: string; targetType: string; targetId: string; actor: TestUser };
  const cases: [string, () => Promise<() => Promise<Expected>>][] = [
    [
      "call start",
      async () => async () => {
        const { callId } = await startCall(t, s);
        afterCase = () => endCall(t, s, callId);
        return { action: "CALL_STARTED", targetType: "CALL", targetId: callId, actor: s.apiUser };
      },
    ],
    [
      "call end",
      async () => {
        const { callId } = await startCall(t, s);
        return async () => {
          await endCall(t, s, callId);
          return { action: "CALL_ENDED", targetType: "CALL", targetId: callId, actor: s.apiUser };
        };
      },
    ],
    [
      "pause",
      async () => {
        const { recordingId, callId } = await startCall(t, s);
        return async () => {
          ok(await gql(t.url, PAUSE, { input: { recordingId, reason: "card" } }, s.agent.token));
          const expected = { action: "RECORDING_PAUSED", targetType: "RECORDING", targetId: recordingId, actor: s.agent };
          afterCase = () => endCall(t, s, callId);
          return expected;
        };
      },
    ],
    [
      "resume",
      async () => {
        const { recordingId, callId } = await startCall(t, s);
        ok(await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token));
        return async () => {
          ok(await gql(t.url, RESUME, { input: { recordingId } }, s.agent.token));
          afterCase = () => endCall(t, s, callId);
          return { action: "RECORDING_RESUMED", targetType: "RECORDING", targetId: recordingId, actor: s.agent };
        };
      },
    ],
    [
      "forced resume",
      async () => {
        const { recordingId, callId } = await startCall(t, s);
        ok(await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token));
        ok(await gql(t.url, PAUSE, { input: { recordingId, holdKey: "oms-card-field" } }, s.apiUser.token));
        return async () => {
          const forced = ok(await gql(t.url, RESUME, { input: { recordingId, force: true, reason: "override" } }, s.manager.token));
          expect(forced.resumeRecording.state).toBe("RECORDING");
          afterCase = () => endCall(t, s, callId);
          return { action: "RECORDING_RESUMED_FORCED", targetType: "RECORDING", targetId: recordingId, actor: s.manager };
        };
      },
    ],
    [
      "delete",
      async () => {
        const { recordingId, callId } = await startCall(t, s);
        await endCall(t, s, callId);
        return async () => {
          ok(await gql(t.url, DELETE, { input: { recordingId, reason: "erasure request" } }, s.compliance.token));
          return { action: "RECORDING_DELETED", targetType: "RECORDING", targetId: recordingId, actor: s.compliance };
        };
      },
    ],
    [
      "role change",
      async () => {
        const user = await t.user([Role.AGENT], "promoted");
        return async () => {
          ok(await gql(t.url, ASSIGN_ROLES, { userId: user.id, roles: [Role.AGENT, Role.TEAM_MANAGER] }, s.admin.token));
          return { action: "ROLES_CHANGED", targetType: "USER", targetId: user.id, actor: s.admin };
        };
      },
    ],
    [
      "user creation",
      async () => async () => {
        const created = ok(await gql(t.url, CREATE_USER, { input: { email: `new-${Date.now()}@test.example`, displayName: "New", roles: [Role.AGENT] } }, s.admin.token));
        return { action: "USER_CREATED", targetType: "USER", targetId: created.createUser.id, actor: s.admin };
      },
    ],
    [
      "customer creation",
      async () => async () => {
        const customerId = await newCustomer(t, s.apiUser.token);
        return { action: "CUSTOMER_CREATED", targetType: "CUSTOMER", targetId: customerId, actor: s.apiUser };
      },
    ],
  ];
  let afterCase: (() => Promise<unknown>) | undefined;
  afterEach(async () => {
    await afterCase?.();
    afterCase = undefined;
  });

  it.each(cases)("%s", async (_label, setup) => {
    const act = await setup();
    const before = await newestPosition();
    const expected = await act();
    const written = await entriesAfter(before);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      action: expected.action,
      targetType: expected.targetType,
      targetId: expected.targetId,
      actorId: expected.actor.id,
      actorRoles: [...expected.actor.viewer.roles].sort(),
    });
  });

  const noOps: [string, () => Promise<() => Promise<unknown>>][] = [
    [
      "pausing again with an active hold",
      async () => {
        const { recordingId, callId } = await startCall(t, s);
        ok(await gql(t.url, PAUSE, { input: { recordingId, holdKey: "k" } }, s.apiUser.token));
        afterCase = () => endCall(t, s, callId);
        return async () => ok(await gql(t.url, PAUSE, { input: { recordingId, holdKey: "k" } }, s.apiUser.token));
      },
    ],
    [
      "resuming with no hold of yours",
      async () => {
        const { recordingId, callId } = await startCall(t, s);
        ok(await gql(t.url, PAUSE, { input: { recordingId } }, s.apiUser.token));
        afterCase = () => endCall(t, s, callId);
        return async () => ok(await gql(t.url, RESUME, { input: { recordingId } }, s.agent.token));
      },
    ],
    [
      "ending an ended call",
      async () => {
        const { callId } = await startCall(t, s);
        await endCall(t, s, callId);
        return async () => endCall(t, s, callId);
      },
    ],
    [
      "deleting a deleted recording",
      async () => {
        const { recordingId, callId } = await startCall(t, s);
        await endCall(t, s, callId);
        ok(await gql(t.url, DELETE, { input: { recordingId, reason: "first" } }, s.compliance.token));
        return async () => ok(await gql(t.url, DELETE, { input: { recordingId, reason: "second" } }, s.compliance.token));
      },
    ],
    [
      "assigning the roles a user already has",
      async () => {
        const user = await t.user([Role.AGENT, Role.API_USER], "same-roles");
        return async () => ok(await gql(t.url, ASSIGN_ROLES, { userId: user.id, roles: [Role.API_USER, Role.AGENT] }, s.admin.token));
      },
    ],
    [
      "a refused request (delete while live)",
      async () => {
        const { recordingId, callId } = await startCall(t, s);
        afterCase = () => endCall(t, s, callId);
        return async () => expect(codesOf(await gql(t.url, DELETE, { input: { recordingId, reason: "r" } }, s.compliance.token))).toEqual(["RECORDING_IN_PROGRESS"]);
      },
    ],
  ];

  it.each(noOps)("%s writes no entry", async (_label, setup) => {
    const act = await setup();
    const before = await newestPosition();
    await act();
    expect(await entriesAfter(before)).toEqual([]);
  });
});

describe("entries", () => {
  it("record the roles the actor held when acting, even after the roles change", async () => {
    const supervisor = await t.user([Role.TEAM_MANAGER], "changing-roles");
    const { recordingId, callId } = await startCall(t, s);
    ok(await gql(t.url, PAUSE, { input: { recordingId } }, supervisor.token));
    ok(await gql(t.url, ASSIGN_ROLES, { userId: supervisor.id, roles: [Role.TEAM_MANAGER, Role.API_USER] }, s.admin.token));
    ok(await gql(t.url, RESUME, { input: { recordingId } }, supervisor.token));
    ok(await gql(t.url, ASSIGN_ROLES, { userId: supervisor.id, roles: [Role.AGENT] }, s.admin.token));
    await endCall(t, s, callId);

    const bySupervisor = await readAll(t, s.compliance.token, { actorId: supervisor.id });
    expect(bySupervisor.map((e) => [e.action, e.actorRoles])).toEqual([
      ["RECORDING_RESUMED", [Role.API_USER, Role.TEAM_MANAGER]],
      ["RECORDING_PAUSED", [Role.TEAM_MANAGER]],
    ]);
    const roleChanges = await readAll(t, s.compliance.token, { targetId: supervisor.id, action: "ROLES_CHANGED" });
    expect(roleChanges.map((e) => e.details)).toEqual([
      expect.objectContaining({ previousRoles: [Role.API_USER, Role.TEAM_MANAGER], roles: [Role.AGENT] }),
      expect.objectContaining({ previousRoles: [Role.TEAM_MANAGER], roles: [Role.API_USER, Role.TEAM_MANAGER] }),
    ]);
    for (const change of roleChanges) expect(change).toMatchObject({ actorId: s.admin.id, actorRoles: [Role.ADMINISTRATOR], targetType: "USER" });
  });

  it("show an administrator who made themselves compliance administrator with the roles held before the change", async () => {
    const admin = await t.user([Role.ADMINISTRATOR], "self-promoting-admin");
    expect(codesOf(await gql(t.url, AUDIT_LOG, { first: 1 }, admin.token))).toEqual(["FORBIDDEN"]);
    ok(await gql(t.url, ASSIGN_ROLES, { userId: admin.id, roles: [Role.ADMINISTRATOR, Role.COMPLIANCE_ADMINISTRATOR] }, admin.token));
    const [entry] = await readAll(t, admin.token, { targetId: admin.id, action: "ROLES_CHANGED" });
    expect(entry).toMatchObject({ actorId: admin.id, actorRoles: [Role.ADMINISTRATOR], details: expect.objectContaining({ added: [Role.COMPLIANCE_ADMINISTRATOR] }) });
  });

  it("carry the X-Request-Id the caller sent, or the one the server generated and answered with", async () => {
    const { recordingId, callId } = await startCall(t, s);
    const sent = await gqlWithHeaders(t.url, PAUSE, { input: { recordingId } }, s.agent.token, { "X-Request-Id": "oms-req-0001:card-field" });
    expect(sent.body.errors).toBeUndefined();
    expect(sent.headers.get("x-request-id")).toBe("oms-req-0001:card-field");

    const generated = await gqlWithHeaders(t.url, RESUME, { input: { recordingId } }, s.agent.token, {});
    expect(generated.body.errors).toBeUndefined();
    const generatedId = generated.headers.get("x-request-id");
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);

    const unacceptable = "has spaces and is not a request id";
    const replaced = await gqlWithHeaders(t.url, PAUSE, { input: { recordingId } }, s.agent.token, { "X-Request-Id": unacceptable });
    expect(replaced.body.errors).toBeUndefined();
    await endCall(t, s, callId);

    const entries = await readAll(t, s.compliance.token, { targetId: recordingId });
    expect(entries.map((e) => [e.action, e.requestId])).toEqual([
      ["RECORDING_PAUSED", replaced.headers.get("x-request-id")],
      ["RECORDING_RESUMED", generatedId],
      ["RECORDING_PAUSED", "oms-req-0001:card-field"],
    ]);
    expect(entries[0].requestId).not.toBe(unacceptable);
  });

  it("carry time, actor, action, target and details", async () => {
    const { recordingId, callId } = await startCall(t, s);
    const before = Date.now();
    ok(await gql(t.url, PAUSE, { input: { recordingId, holdKey: "oms-card-field", reason: "cursor in card field" } }, s.apiUser.token));
    const after = Date.now();
    await endCall(t, s, callId);
    const [entry] = await readAll(t, s.compliance.token, { targetId: recordingId, action: "RECORDING_PAUSED" });
    expect(entry).toMatchObject({
      actorId: s.apiUser.id,
      actorRoles: [Role.API_USER],
      action: "RECORDING_PAUSED",
      targetType: "RECORDING",
      targetId: recordingId,
      details: expect.objectContaining({ agentId: s.agent.id, holdKey: "oms-card-field", reason: "cursor in card field", source: "API", previousState: "RECORDING", state: "PAUSED" }),
    });
    expect(Date.parse(entry.occurredAt)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(entry.occurredAt)).toBeLessThanOrEqual(after + 1);
  });

  it("show a null actor with no roles for actions taken without a signed-in user", async () => {
    const created = await t.user([Role.AGENT], "system-created");
    const [entry] = await readAll(t, s.compliance.token, { targetId: created.id, action: "USER_CREATED" });
    expect(entry).toMatchObject({ actorId: null, actorRoles: [] });
  });
});

describe("reading the log", () => {
  it("pages newest first with cursors: every entry exactly once, positions n..1, linked by hashes", async () => {
    const all = await readAll(t, s.compliance.token, undefined, 4);
    const n = all.length;
    expect(n).toBeGreaterThan(10);
    expect(all.map((e) => e.position)).toEqual(Array.from({ length: n }, (_, i) => n - i));
    const ascending = [...all].reverse();
    expect(ascending[0].prevHash).toBe(GENESIS);
    for (let i = 1; i < n; i++) expect(ascending[i].prevHash).toBe(ascending[i - 1].hash);
    for (const entry of all) {
      expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
      // What the API serves is exactly what was hashed.
      expect(hashAuditEntry({ ...entry, occurredAt: new Date(entry.occurredAt) })).toBe(entry.hash);
    }
    expect(new Set(all.map((e) => e.hash)).size).toBe(n);
    expect(await verify(t, s.compliance.token)).toEqual({ valid: true, checkedEntries: n, firstInvalidPosition: null });

    const single = await readAll(t, s.compliance.token, undefined, 200);
    expect(single.map((e) => e.position)).toEqual(all.map((e) => e.position));
  });

  it("ends with hasNextPage false and an empty page after the last cursor", async () => {
    const first = await page(t, s.compliance.token, 3);
    expect(first.pageInfo.hasNextPage).toBe(true);
    let after = first.pageInfo.endCursor!;
    let last = first;
    while (last.pageInfo.hasNextPage) {
      last = await page(t, s.compliance.token, 50, after);
      after = last.pageInfo.endCursor ?? after;
    }
    expect(last.edges.at(-1)!.node.position).toBe(1);
    const beyond = await page(t, s.compliance.token, 5, after);
    expect(beyond).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it.each([
    ["first: 0", { first: 0 }],
    ["first: -1", { first: -1 }],
    ["first: 201", { first: 201 }],
    ["a cursor that is not base64 of a position", { first: 5, after: "not-a-cursor" }],
    ["a cursor for another connection", { first: 5, after: Buffer.from(JSON.stringify(["2024-01-01T00:00:00.000Z", "x"])).toString("base64url") }],
    ["an over-long cursor", { first: 5, after: "a".repeat(500) }],
  ])("refuses %s with BAD_USER_INPUT", async (_label, variables) => {
    expect(codesOf(await gql(t.url, AUDIT_LOG, variables, s.compliance.token))).toEqual(["BAD_USER_INPUT"]);
  });

  describe("filters", () => {
    let recordingId: string;
    let callId: string;
    beforeAll(async () => {
      ({ recordingId, callId } = await startCall(t, s));
      ok(await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token));
      ok(await gql(t.url, PAUSE, { input: { recordingId, holdKey: "a" } }, s.apiUser.token));
      ok(await gql(t.url, RESUME, { input: { recordingId } }, s.agent.token));
      ok(await gql(t.url, RESUME, { input: { recordingId, holdKey: "a" } }, s.apiUser.token));
      ok(await gql(t.url, PAUSE, { input: { recordingId, holdKey: "b" } }, s.apiUser.token));
      await endCall(t, s, callId);
    });

    it.each([
      ["action", () => ({ action: "RECORDING_PAUSED" }), (e: AuditEntry) => e.action === "RECORDING_PAUSED"],
      ["targetId", () => ({ targetId: recordingId }), (e: AuditEntry) => e.targetId === recordingId],
      ["actorId", () => ({ actorId: s.apiUser.id }), (e: AuditEntry) => e.actorId === s.apiUser.id],
      [
        "action and targetId",
        () => ({ action: "RECORDING_PAUSED", targetId: recordingId }),
        (e: AuditEntry) => e.action === "RECORDING_PAUSED" && e.targetId === recordingId,
      ],
      ["targetId of the call", () => ({ targetId: callId }), (e: AuditEntry) => e.targetId === callId],
    ])("by %s: exactly the matching entries, newest first, across pages", async (_label, filter, matches) => {
      const everything = await readAll(t, s.compliance.token, undefined, 200);
      const filtered = await readAll(t, s.compliance.token, filter(), 2);
      expect(filtered.length).toBeGreaterThan(0);
      expect(filtered.map((e) => e.position)).toEqual(everything.filter(matches).map((e) => e.position));
    });

    it("by targetId returns the recording's whole history in order", async () => {
      const history = await readAll(t, s.compliance.token, { targetId: recordingId });
      expect(history.map((e) => e.action)).toEqual(["RECORDING_PAUSED", "RECORDING_RESUMED", "RECORDING_RESUMED", "RECORDING_PAUSED", "RECORDING_PAUSED"]);
    });

    it("by time: from/to bound occurredAt", async () => {
      const history = await readAll(t, s.compliance.token, { targetId: recordingId });
      const oldest = history.at(-1)!;
      const newest = history[0];
      const window = await readAll(t, s.compliance.token, { targetId: recordingId, from: oldest.occurredAt, to: newest.occurredAt });
      expect(window.map((e) => e.position)).toEqual(history.map((e) => e.position));
      const later = await readAll(t, s.compliance.token, { targetId: recordingId, from: new Date(Date.parse(newest.occurredAt) + 1).toISOString() });
      expect(later).toEqual([]);
    });

    it("an unknown target matches nothing", async () => {
      expect(await page(t, s.compliance.token, 5, undefined, { targetId: "00000000-0000-0000-0000-000000000000" })).toEqual({
        edges: [],
        pageInfo: { hasNextPage: false, endCursor: null },
      });
    });
  });
});

describe("concurrent actions", () => {
  it("produce a gap-free chain that verifies", async () => {
    const before = await newestPosition();
    const holders = await Promise.all(Array.from({ length: 10 }, (_, i) => t.user([Role.API_USER], `parallel-${i}`)));
    const afterUsers = await newestPosition();
    expect(afterUsers - before).toBe(10);
    const { recordingId, callId } = await startCall(t, s);

    const customers = Array.from({ length: 20 }, (_, i) => gql(t.url, CREATE_CUSTOMER, { input: { name: `Parallel ${i}` } }, s.apiUser.token));
    const pauses = holders.map((holder) => gql(t.url, PAUSE, { input: { recordingId, holdKey: "parallel" } }, holder.token));
    for (const result of await Promise.all([...customers, ...pauses])) expect(result.errors).toBeUndefined();
    const resumes = holders.map((holder) => gql(t.url, RESUME, { input: { recordingId, holdKey: "parallel" } }, holder.token));
    const moreCustomers = Array.from({ length: 10 }, (_, i) => gql(t.url, CREATE_CUSTOMER, { input: { name: `Parallel again ${i}` } }, s.apiUser.token));
    for (const result of await Promise.all([...resumes, ...moreCustomers])) expect(result.errors).toBeUndefined();
    await endCall(t, s, callId);

    const all = await readAll(t, s.compliance.token, undefined, 200);
    const n = all.length;
    expect(all.map((e) => e.position)).toEqual(Array.from({ length: n }, (_, i) => n - i));
    expect(await verify(t, s.compliance.token)).toEqual({ valid: true, checkedEntries: n, firstInvalidPosition: null });

    const written = all.filter((e) => e.position > afterUsers);
    const count = (action: string) => written.filter((e) => e.action === action).length;
    expect(count("CUSTOMER_CREATED")).toBe(30);
    expect(count("RECORDING_PAUSED")).toBe(10);
    expect(count("RECORDING_RESUMED")).toBe(10);
    expect(written.filter((e) => e.targetId === recordingId).map((e) => e.details.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => 21 - i));
    expect(new Set(written.filter((e) => e.targetId === recordingId).map((e) => e.actorId))).toEqual(new Set(holders.map((h) => h.id)));
  });
});

describe("tampering is detected", () => {
  let app: TestApp;
  let scenario: Scenario;
  let total: number;
  let target: AuditEntry;

  beforeEach(async () => {
    app = await startTestApp();
    scenario = await createScenario(app);
    const { recordingId, callId } = await startCall(app, scenario);
    ok(await gql(app.url, PAUSE, { input: { recordingId, reason: "card number" } }, scenario.agent.token));
    ok(await gql(app.url, RESUME, { input: { recordingId } }, scenario.agent.token));
    await endCall(app, scenario, callId);
    const all = await readAll(app, scenario.compliance.token);
    total = all.length;
    [target] = all.filter((e) => e.action === "RECORDING_PAUSED");
    expect(target.position).toBeLessThan(total);
    expect(await verify(app, scenario.compliance.token)).toEqual({ valid: true, checkedEntries: total, firstInvalidPosition: null });
  });
  afterEach(() => app.close());

  const sql = (statement: string, ...params: unknown[]) => app.app.services.dataSource.query(statement, params);

  it.each<[string, () => Promise<unknown>, () => number]>([
    [
      "altered details",
      () => sql("UPDATE audit_entries SET details = ? WHERE `position` = ?", JSON.stringify({ ...target.details, reason: "nothing to see here" }), target.position),
      () => target.position,
    ],
    ["a removed entry", () => sql("DELETE FROM audit_entries WHERE `position` = ?", target.position), () => target.position],
    [
      "altered actorRoles",
      () => sql("UPDATE audit_entries SET actorRoles = ? WHERE `position` = ?", JSON.stringify([Role.AGENT, Role.TEAM_MANAGER]), target.position),
      () => target.position,
    ],
    ["an altered actor", () => sql("UPDATE audit_entries SET actorId = ? WHERE `position` = ?", scenario.manager.id, target.position), () => target.position],
    [
      "reordered entries",
      async () => {
        await sql("UPDATE audit_entries SET `position` = ? WHERE `position` = ?", -1, target.position);
        await sql("UPDATE audit_entries SET `position` = ? WHERE `position` = ?", target.position, target.position + 1);
        await sql("UPDATE audit_entries SET `position` = ? WHERE `position` = ?", target.position + 1, -1);
      },
      () => target.position,
    ],
    ["the newest entry removed", () => sql("DELETE FROM audit_entries WHERE `position` = ?", total), () => total],
    [
      "an altered entry whose own hash was recomputed (the next link breaks)",
      async () => {
        const forged = { ...target, occurredAt: new Date(target.occurredAt), details: { ...target.details, reason: "forged" } };
        await sql("UPDATE audit_entries SET details = ?, hash = ? WHERE `position` = ?", JSON.stringify(forged.details), hashAuditEntry(forged), target.position);
      },
      () => target.position + 1,
    ],
  ])("%s", async (_label, tamper, invalidAt) => {
    await tamper();
    const result = await verify(app, scenario.compliance.token);
    expect(result).toEqual({ valid: false, checkedEntries: invalidAt() - 1, firstInvalidPosition: invalidAt() });
  });
});

describe("a chain longer than one verification batch", () => {
  let app: TestApp;
  let scenario: Scenario;
  beforeAll(async () => ({ t: app, s: scenario } = await startScenarioApp()));
  afterAll(() => app.close());

  it("verifies end to end, and a change far down the chain is found and located", async () => {
    for (let batch = 0; batch < 11; batch++) {
      const created = await Promise.all(Array.from({ length: 50 }, (_, i) => gql(app.url, CREATE_CUSTOMER, { input: { name: `Bulk ${batch}-${i}` } }, scenario.apiUser.token)));
      for (const result of created) expect(result.errors).toBeUndefined();
    }
    const all = await readAll(app, scenario.compliance.token, undefined, 200);
    const n = all.length;
    expect(n).toBeGreaterThan(550);
    expect(all.map((e) => e.position)).toEqual(Array.from({ length: n }, (_, i) => n - i));
    expect(await verify(app, scenario.compliance.token)).toEqual({ valid: true, checkedEntries: n, firstInvalidPosition: null });

    const position = 540;
    const sql = (statement: string, ...params: unknown[]) => app.app.services.dataSource.query(statement, params);
    const [row] = (await sql("SELECT details FROM audit_entries WHERE `position` = ?", position)) as { details: string }[];
    await sql("UPDATE audit_entries SET details = ? WHERE `position` = ?", JSON.stringify({ name: "Renamed" }), position);
    expect(await verify(app, scenario.compliance.token)).toEqual({ valid: false, checkedEntries: position - 1, firstInvalidPosition: position });

    await sql("UPDATE audit_entries SET details = ? WHERE `position` = ?", row.details, position);
    expect(await verify(app, scenario.compliance.token)).toEqual({ valid: true, checkedEntries: n, firstInvalidPosition: null });
  }, 120_000);
});
