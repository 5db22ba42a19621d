/**
 * The role matrix: every Query, Mutation and Subscription field × every caller (anonymous, each role,
 * a user with no roles), over HTTP and over graphql-ws. The expected row of each operation is read
 * from the committed contract (schema/schema.graphql, `@auth(requires: [...])`); the sensitive
 * operations are also pinned by a hand-written table, so loosening a declaration fails here.
 * Then the row rules (agents see and control only their own calls), guarded nested fields, event
 * isolation on subscriptions, and role changes taking effect on the next request.
 */
import fs from "node:fs";
import path from "node:path";
import {
  buildSchema,
  getDirectiveValues,
  GraphQLDirective,
  GraphQLField,
  GraphQLObjectType,
  isIntrospectionType,
  isObjectType,
} from "graphql";
import type { Client } from "graphql-ws";
import { Role } from "../src/auth/role";
import { codesOf, gql, GraphQLResponse, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { recordTone } from "./support/record-audio";
import { createScenario, PAUSE, RESUME, Scenario, startCall, STATE_SUBSCRIPTION } from "./support/scenario";
import { startTestApp, TestApp, TestUser } from "./support/test-app";

// ---------------------------------------------------------------------------------------------------
// The contract: who may call what, as declared in schema/schema.graphql
// ---------------------------------------------------------------------------------------------------

const CONTRACT = buildSchema(fs.readFileSync(path.join(__dirname, "..", "schema", "schema.graphql"), "utf8"));
const AUTH_DIRECTIVE = CONTRACT.getDirective("auth") as GraphQLDirective;

type OperationKind = "query" | "mutation" | "subscription";
/** A field's `@auth`: the roles it requires, "ANY_SIGNED_IN" for a bare `@auth`, undefined when missing. */
type Declared = Role[] | "ANY_SIGNED_IN" | undefined;

function declaredAuth(field: GraphQLField<unknown, unknown>): Declared {
  const values = field.astNode ? getDirectiveValues(AUTH_DIRECTIVE, field.astNode) : undefined;
  if (!values) return undefined;
  return values.requires ? [...(values.requires as Role[])].sort() : "ANY_SIGNED_IN";
}

const ROOT_TYPES: [OperationKind, GraphQLObjectType | null | undefined][] = [
  ["query", CONTRACT.getQueryType()],
  ["mutation", CONTRACT.getMutationType()],
  ["subscription", CONTRACT.getSubscriptionType()],
];

interface ContractOperation {
  name: string;
  kind: OperationKind;
  declared: Declared;
}

const CONTRACT_OPERATIONS: ContractOperation[] = ROOT_TYPES.flatMap(([kind, type]) =>
  Object.values(type?.getFields() ?? {}).map((field) => ({ name: field.name, kind, declared: declaredAuth(field) })),
);
const contractOperation = (name: string) => CONTRACT_OPERATIONS.find((op) => op.name === name) as ContractOperation;

/** Guarded fields below the root (e.g. Recording.sha256), as "Type.field". */
const NESTED_GUARDS: { coordinate: string; typeName: string; field: string; declared: Declared }[] = Object.values(CONTRACT.getTypeMap())
  .filter((type): type is GraphQLObjectType => isObjectType(type) && !isIntrospectionType(type) && !ROOT_TYPES.some(([, root]) => root === type))
  .flatMap((type) =>
    Object.values(type.getFields())
      .map((field) => ({ coordinate: `${type.name}.${field.name}`, typeName: type.name, field: field.name, declared: declaredAuth(field) }))
      .filter((guard) => guard.declared !== undefined),
  );

/**
 * Hand-written, independent of the SDL: the operations whose loosening would be a compliance incident.
 * The SDL must declare exactly these roles, and the server must enforce exactly them.
 */
const { AGENT, TEAM_MANAGER, ADMINISTRATOR, COMPLIANCE_ADMINISTRATOR, API_USER } = Role;
const SENSITIVE: [string, Role[]][] = [
  ["deleteRecording", [COMPLIANCE_ADMINISTRATOR]],
  ["createRecordingDownload", [COMPLIANCE_ADMINISTRATOR]],
  ["redactRecordingSegment", [COMPLIANCE_ADMINISTRATOR]],
  ["auditLog", [COMPLIANCE_ADMINISTRATOR]],
  ["verifyAuditChain", [COMPLIANCE_ADMINISTRATOR]],
  ["assignRoles", [ADMINISTRATOR]],
  ["createUser", [ADMINISTRATOR]],
  ["users", [ADMINISTRATOR]],
  ["issueApiToken", [ADMINISTRATOR]],
  ["startCall", [API_USER]],
  ["endCall", [API_USER]],
  ["recordingStateChanged", [AGENT, TEAM_MANAGER, ADMINISTRATOR, COMPLIANCE_ADMINISTRATOR]],
  ["placeLegalHold", [COMPLIANCE_ADMINISTRATOR]],
  ["releaseLegalHold", [COMPLIANCE_ADMINISTRATOR]],
  ["legalHolds", [TEAM_MANAGER, ADMINISTRATOR, COMPLIANCE_ADMINISTRATOR]],
  ["auditCheckpoints", [COMPLIANCE_ADMINISTRATOR]],
  ["setRetentionPolicy", [COMPLIANCE_ADMINISTRATOR]],
  ["retentionPolicies", [COMPLIANCE_ADMINISTRATOR]],
  ["retentionRuns", [COMPLIANCE_ADMINISTRATOR]],
  ["complianceReport", [COMPLIANCE_ADMINISTRATOR]],
  ["createComplianceReportDownload", [COMPLIANCE_ADMINISTRATOR]],
];
const SENSITIVE_NESTED: [string, Role[]][] = [
  ["Recording.sha256", [COMPLIANCE_ADMINISTRATOR]],
  ["Recording.sizeBytes", [COMPLIANCE_ADMINISTRATOR]],
  ["Recording.deletion", [TEAM_MANAGER, ADMINISTRATOR, COMPLIANCE_ADMINISTRATOR]],
  ["Recording.pauseIntervals", [AGENT, TEAM_MANAGER, ADMINISTRATOR, COMPLIANCE_ADMINISTRATOR]],
  ["Recording.legalHolds", [TEAM_MANAGER, ADMINISTRATOR, COMPLIANCE_ADMINISTRATOR]],
];

// ---------------------------------------------------------------------------------------------------
// Callers, transports and outcomes
// ---------------------------------------------------------------------------------------------------

type CallerName = "anonymous" | Role | "NO_ROLES";
const CALLERS: CallerName[] = ["anonymous", AGENT, TEAM_MANAGER, ADMINISTRATOR, COMPLIANCE_ADMINISTRATOR, API_USER, "NO_ROLES"];
const ROLES: Role[] = [AGENT, TEAM_MANAGER, ADMINISTRATOR, COMPLIANCE_ADMINISTRATOR, API_USER];

type Transport = "HTTP" | "WS";

/**
 * What a call came to: "ok" (no errors and the field has data), the error code(s), or, over the
 * WebSocket, "SOCKET_CLOSED_<code>" when the connection itself was refused.
 */
type Outcome = string;
const OK = "ok";
const SOCKET_REFUSED = "SOCKET_CLOSED_4403";

const mayCall = (declared: Declared, caller: CallerName): boolean =>
  caller !== "anonymous" && (declared === "ANY_SIGNED_IN" || (declared !== undefined && caller !== "NO_ROLES" && declared.includes(caller)));

function expectedOutcome(transport: Transport, op: { kind: OperationKind; declared: Declared }, caller: CallerName): Outcome {
  // Subscriptions live on the WebSocket; HTTP refuses them for everyone before anything runs.
  if (transport === "HTTP" && op.kind === "subscription") return "BAD_REQUEST";
  if (caller === "anonymous") return transport === "WS" ? SOCKET_REFUSED : "UNAUTHENTICATED";
  return mayCall(op.declared, caller) ? OK : "FORBIDDEN";
}

type WsAnswer = { response: GraphQLResponse } | { closed: { code?: number; sinkCode?: number } };

/**
 * Sends one operation over a fresh graphql-ws connection and returns its first answer (for a
 * subscription: the snapshot), or how the socket was closed.
 */
async function overWs(t: TestApp, token: string | undefined, query: string, variables: Record<string, unknown>): Promise<WsAnswer> {
  let closeCode: number | undefined;
  const client = wsClient(t.wsUrl, token, { on: { closed: (event) => (closeCode = (event as { code?: number }).code) } });
  try {
    return await new Promise<WsAnswer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer over the WebSocket to ${query}`)), 5000);
      const dispose = client.subscribe(
        { query, variables },
        {
          next: (value) => {
            clearTimeout(timer);
            resolve({ response: { status: 0, ...(value as object) } });
            dispose();
          },
          error: (error) => {
            clearTimeout(timer);
            // graphql-ws reports a refused operation as a list of GraphQL errors, a refused connection as a CloseEvent.
            if (Array.isArray(error)) resolve({ response: { status: 0, errors: error } });
            else resolve({ closed: { code: closeCode, sinkCode: (error as { code?: number })?.code } });
          },
          complete: () => {
            clearTimeout(timer);
            reject(new Error(`completed without an answer: ${query}`));
          },
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

function outcomeOf(field: string, response: GraphQLResponse): Outcome {
  const codes = codesOf(response);
  if (codes.length) return [...new Set(codes)].join(",");
  return response.data?.[field] != null ? OK : "NO_DATA";
}

function wsOutcome(field: string, answer: WsAnswer): Outcome {
  if ("closed" in answer) {
    // The close code must reach both the client's `closed` listener and the operation's error sink.
    return answer.closed.code === answer.closed.sinkCode ? `SOCKET_CLOSED_${answer.closed.code}` : `SOCKET_CLOSED ${JSON.stringify(answer.closed)}`;
  }
  return outcomeOf(field, answer.response);
}

// ---------------------------------------------------------------------------------------------------
// The app and its fixtures
// ---------------------------------------------------------------------------------------------------

let t: TestApp;
let s: Scenario;
let noRoles: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  s = await createScenario(t);
  noRoles = await t.user([], "no-roles");
});
afterAll(() => t.close());

const callerUser = (caller: CallerName): TestUser | undefined =>
  ({
    anonymous: undefined,
    NO_ROLES: noRoles,
    [AGENT]: s.agent,
    [TEAM_MANAGER]: s.manager,
    [ADMINISTRATOR]: s.admin,
    [COMPLIANCE_ADMINISTRATOR]: s.compliance,
    [API_USER]: s.apiUser,
  })[caller];

/** Ids the matrix's arguments point at, created once so that every allowed call can succeed. */
interface MatrixFixtures {
  /** s.agent's live call: the AGENT caller reads and controls their own recording. */
  live: { callId: string; recordingId: string };
  /** An ended call (endCall is idempotent). */
  ended: { callId: string; recordingId: string };
  /** An ended recording that deleteRecording may delete (deleting again returns the same receipt). */
  deletable: { callId: string; recordingId: string };
  /** An AVAILABLE recording with real audio that redactRecordingSegment may redact (again and again). */
  redactable: { callId: string; recordingId: string };
  /** Whose roles assignRoles sets. */
  bystander: TestUser;
  /** A hold that releaseLegalHold releases (releasing again returns it unchanged). */
  heldOnce: string;
}

let unique = 0;

/**
 * One operation: the document the matrix sends, and arguments with which every allowed caller succeeds.
 * Where a row rule exists, the arguments are ones the rule lets the caller use (e.g. their own id), so
 * that a refusal in the matrix can only come from the operation's own declaration.
 */
interface MatrixOperation {
  document: string;
  variables: (f: MatrixFixtures, caller: TestUser | undefined) => Promise<Record<string, unknown>> | Record<string, unknown>;
}

const MATRIX: Record<string, MatrixOperation> = {
  // Queries
  me: { document: `query { me { id roles } }`, variables: () => ({}) },
  users: { document: `query { users { id } }`, variables: () => ({}) },
  agents: { document: `query { agents { id } }`, variables: () => ({}) },
  customers: { document: `query { customers(search: "test") { id } }`, variables: () => ({}) },
  recording: { document: `query($id: ID!) { recording(id: $id) { id state } }`, variables: (f) => ({ id: f.live.recordingId }) },
  agentRecordingStatus: {
    document: `query($agentId: ID!) { agentRecordingStatus(agentId: $agentId) { agentId state } }`,
    variables: (_f, caller) => ({ agentId: (caller ?? s.agent).id }),
  },
  customerTimeline: {
    document: `query($customerId: ID!) { customerTimeline(customerId: $customerId, first: 5) { edges { cursor } } }`,
    variables: () => ({ customerId: s.customerId }),
  },
  auditLog: { document: `query { auditLog(first: 5) { edges { cursor node { action } } } }`, variables: () => ({}) },
  verifyAuditChain: { document: `query { verifyAuditChain { valid checkedEntries } }`, variables: () => ({}) },
  complianceReport: {
    document: `query($from: DateTimeISO!, $to: DateTimeISO!) { complianceReport(from: $from, to: $to) { callsRecorded } }`,
    variables: () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() }),
  },
  createComplianceReportDownload: {
    document: `mutation($from: DateTimeISO!, $to: DateTimeISO!) { createComplianceReportDownload(from: $from, to: $to) { url } }`,
    variables: () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() }),
  },
  retentionPolicies: { document: `query { retentionPolicies { days } }`, variables: () => ({}) },
  retentionRuns: { document: `query { retentionRuns(first: 3) { id } }`, variables: () => ({}) },
  auditCheckpoints: { document: `query { auditCheckpoints(first: 5) { position } }`, variables: () => ({}) },
  legalHolds: { document: `query($customerId: ID) { legalHolds(customerId: $customerId) { id } }`, variables: () => ({ customerId: s.customerId }) },
  // Mutations
  pauseRecording: {
    document: `mutation($input: PauseRecordingInput!) { pauseRecording(input: $input) { id state } }`,
    variables: () => ({ input: { agentId: s.agent.id, holdKey: "role-matrix" } }),
  },
  resumeRecording: {
    document: `mutation($input: ResumeRecordingInput!) { resumeRecording(input: $input) { id state } }`,
    variables: (f) => ({ input: { recordingId: f.live.recordingId, holdKey: "role-matrix" } }),
  },
  createCustomer: {
    document: `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }`,
    variables: () => ({ input: { name: "Role Matrix Ltd" } }),
  },
  createUser: {
    document: `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
    variables: () => ({ input: { email: `matrix-${++unique}-${Date.now()}@test.example`, displayName: "Matrix", roles: [] } }),
  },
  issueApiToken: {
    document: `mutation($userId: ID!) { issueApiToken(userId: $userId, label: "role matrix") { id } }`,
    variables: (f) => ({ userId: f.bystander.id }),
  },
  assignRoles: {
    document: `mutation($userId: ID!, $roles: [Role!]!) { assignRoles(userId: $userId, roles: $roles) { id roles } }`,
    variables: (f) => ({ userId: f.bystander.id, roles: [AGENT] }),
  },
  deleteRecording: {
    document: `mutation($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId } }`,
    variables: (f) => ({ input: { recordingId: f.deletable.recordingId, reason: "role matrix" } }),
  },
  redactRecordingSegment: {
    document: `mutation($input: RedactRecordingSegmentInput!) { redactRecordingSegment(input: $input) { mp3Sha256 } }`,
    variables: (f) => ({ input: { recordingId: f.redactable.recordingId, fromSeconds: 0.1, toSeconds: 0.2, reason: "role matrix" } }),
  },
  setRetentionPolicy: {
    document: `mutation($input: SetRetentionPolicyInput!) { setRetentionPolicy(input: $input) { days } }`,
    variables: () => ({ input: { days: null } }),
  },
  placeLegalHold: {
    document: `mutation($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { id } }`,
    variables: (f) => ({ input: { recordingId: f.ended.recordingId, reason: "role matrix" } }),
  },
  releaseLegalHold: {
    document: `mutation($holdId: ID!) { releaseLegalHold(holdId: $holdId, reason: "role matrix") { id } }`,
    variables: (f) => ({ holdId: f.heldOnce }),
  },
  createRecordingDownload: {
    document: `mutation($recordingId: ID!) { createRecordingDownload(recordingId: $recordingId) { url } }`,
    // Any AVAILABLE recording with stored audio will do.
    variables: (f) => ({ recordingId: f.redactable.recordingId }),
  },
  startCall: {
    document: `mutation($input: StartCallInput!) { startCall(input: $input) { call { id } recording { id state } } }`,
    // A fresh idle agent every time, so an allowed startCall never meets AGENT_BUSY.
    variables: async () => ({ input: { agentId: (await t.user([AGENT], "matrix-callee")).id, customerId: s.customerId } }),
  },
  endCall: {
    document: `mutation($callId: ID!) { endCall(callId: $callId) { call { status } } }`,
    variables: (f) => ({ callId: f.ended.callId }),
  },
  // Subscriptions (the first message is the SNAPSHOT)
  recordingStateChanged: {
    document: `subscription($agentId: ID) { recordingStateChanged(agentId: $agentId) { kind state } }`,
    variables: (_f, caller) => ({ agentId: (caller ?? s.agent).id }),
  },
  customerTimelineChanged: {
    document: `subscription($customerId: ID!) { customerTimelineChanged(customerId: $customerId) { kind } }`,
    variables: () => ({ customerId: s.customerId }),
  },
};

// ---------------------------------------------------------------------------------------------------
// 1. The contract itself
// ---------------------------------------------------------------------------------------------------

describe("the contract declares who may call each operation", () => {
  it.each(CONTRACT_OPERATIONS.map((op) => [op.kind, op.name, op] as const))("%s %s has an @auth directive", (_kind, _name, op) => {
    expect(op.declared).toBeDefined();
  });

  it.each(SENSITIVE)("%s is declared for exactly %j", (name, roles) => {
    expect(contractOperation(name)).toBeDefined();
    expect(contractOperation(name).declared).toEqual([...roles].sort());
  });

  it.each(SENSITIVE_NESTED)("%s is declared for exactly %j", (coordinate, roles) => {
    expect(NESTED_GUARDS.find((guard) => guard.coordinate === coordinate)?.declared).toEqual([...roles].sort());
  });

  it("lists every guarded nested field in the hand-written table", () => {
    expect(NESTED_GUARDS.map((guard) => guard.coordinate).sort()).toEqual(SENSITIVE_NESTED.map(([coordinate]) => coordinate).sort());
  });

  it("has a matrix row for every operation, and the running server serves exactly the contract's operations", async () => {
    expect(Object.keys(MATRIX).sort()).toEqual(CONTRACT_OPERATIONS.map((op) => op.name).sort());
    const served = await gql(
      t.url,
      `{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }`,
      {},
      s.admin.token,
    );
    const names = (type: { fields: { name: string }[] }) => type.fields.map((field) => field.name);
    const schema = served.data?.__schema;
    expect([...names(schema.queryType), ...names(schema.mutationType), ...names(schema.subscriptionType)].sort()).toEqual(
      CONTRACT_OPERATIONS.map((op) => op.name).sort(),
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// 2. The matrix: operation × caller × transport
// ---------------------------------------------------------------------------------------------------

describe("role matrix", () => {
  let f: MatrixFixtures;

  beforeAll(async () => {
    const ended = await startCall(t, s, await t.user([AGENT], "matrix-ended"));
    await t.app.services.calls.end(s.apiUser.viewer, "test-setup", ended.callId);
    const deletable = await startCall(t, s, await t.user([AGENT], "matrix-deletable"));
    await t.app.services.calls.end(s.apiUser.viewer, "test-setup", deletable.callId);
    const redactable = await startCall(t, s, await t.user([AGENT], "matrix-redactable"));
    await recordTone(t, s.apiUser.token, redactable.callId);
    await t.app.services.calls.end(s.apiUser.viewer, "test-setup", redactable.callId);
    const heldOnce = await t.app.services.legalHolds.place(s.compliance.viewer, "test-setup", { customerId: s.customerId, reason: "role matrix" });
    await t.app.services.legalHolds.release(s.compliance.viewer, "test-setup", heldOnce.id, "role matrix");
    f = { live: await startCall(t, s, s.agent), ended, deletable, redactable, bystander: await t.user([], "bystander"), heldOnce: heldOnce.id };
  });

  async function callAs(transport: Transport, name: string, caller: CallerName): Promise<Outcome> {
    const { document, variables } = MATRIX[name];
    const user = callerUser(caller);
    const token = user?.token;
    const vars = await variables(f, user);
    if (transport === "HTTP") return outcomeOf(name, await gql(t.url, document, vars, token));
    return wsOutcome(name, await overWs(t, token, document, vars));
  }

  const rowOf = async (transport: Transport, name: string) => {
    const row: Record<string, Outcome> = {};
    for (const caller of CALLERS) row[caller] = await callAs(transport, name, caller);
    return row;
  };

  describe.each<Transport>(["HTTP", "WS"])("over %s", (transport) => {
    it.each(CONTRACT_OPERATIONS.map((op) => [op.kind, op.name, op] as const))("%s %s: each caller gets what @auth declares", async (_kind, name, op) => {
      const expected = Object.fromEntries(CALLERS.map((caller) => [caller, expectedOutcome(transport, op, caller)]));
      const actual = await rowOf(transport, name);
      expect(actual).toEqual(expected);

      // The hand-written table holds the sensitive operations to their roles, whatever the SDL says.
      const pinned = SENSITIVE.find(([sensitive]) => sensitive === name);
      if (pinned) {
        const handRow = Object.fromEntries(CALLERS.map((caller) => [caller, expectedOutcome(transport, { kind: op.kind, declared: pinned[1] }, caller)]));
        expect(actual).toEqual(handRow);
      }
    });
  });

  it.each([
    ["no authorization", {}],
    ["an empty authorization", { authorization: "" }],
    ["a malformed token", { authorization: "Bearer not-a-jwt" }],
    ["a non-Bearer scheme", { authorization: "Basic dXNlcjpwYXNz" }],
  ])("refuses a WebSocket connection_init with %s (close code 4403)", async (_label, connectionParams) => {
    let closeCode: number | undefined;
    const client = wsClient(t.wsUrl, undefined, { connectionParams, on: { closed: (event) => (closeCode = (event as { code?: number }).code) } });
    const recorder = new SubscriptionRecorder(client, `query { me { id } }`);
    await recorder.waitFor(1);
    expect(recorder.messages).toEqual([]);
    expect((recorder.error as { code?: number }).code).toBe(4403);
    expect(closeCode).toBe(4403);
    await client.dispose();
  });
});

// ---------------------------------------------------------------------------------------------------
// 3. Guarded nested fields: FORBIDDEN at that path, the rest of the data still returned
// ---------------------------------------------------------------------------------------------------

/** How each guarded field is selected, and what an allowed caller sees on a paused, ended, deleted recording. */
const NESTED_SELECTIONS: Record<string, { selection: string; check: (value: any) => void }> = {
  "Recording.sha256": { selection: "sha256", check: (value) => expect(value).toBeNull() /* this call was never streamed: no audio */ },
  "Recording.sizeBytes": { selection: "sizeBytes", check: (value) => expect(value).toBeNull() },
  "Recording.deletion": { selection: "deletion { reason deletedById }", check: (value) => expect(value).toEqual({ reason: "nested guard test", deletedById: s.compliance.id }) },
  "Recording.pauseIntervals": { selection: "pauseIntervals { startOffsetMs endOffsetMs }", check: (value) => expect(value).toHaveLength(1) },
  "Recording.legalHolds": { selection: "legalHolds { id }", check: (value) => expect(value).toEqual([]) },
};

describe("guarded nested fields", () => {
  let recordingId: string;

  beforeAll(async () => {
    // s.agent's own recording (so the AGENT may read it): paused once, ended, then deleted.
    const idle = await t.app.services.recordings.liveRecordingOfAgent(s.agent.id);
    if (idle) await t.app.services.calls.end(s.apiUser.viewer, "test-setup", idle.callId);
    const call = await startCall(t, s, s.agent);
    recordingId = call.recordingId;
    await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token);
    await t.app.services.calls.end(s.apiUser.viewer, "test-setup", call.callId);
    await t.app.services.deletion.delete(s.compliance.viewer, "test-setup", recordingId, "nested guard test");
  });

  it("every guarded nested field has a selection here", () => {
    expect(Object.keys(NESTED_SELECTIONS).sort()).toEqual(NESTED_GUARDS.map((guard) => guard.coordinate).sort());
  });

  const cases = (transport: Transport) =>
    NESTED_GUARDS.flatMap((guard) => ROLES.map((role) => [transport, guard.coordinate, role, mayCall(guard.declared, role) ? "allowed" : "FORBIDDEN"] as const));

  it.each([...cases("HTTP"), ...cases("WS")])("over %s, %s for %s: %s", async (transport, coordinate, role, expected) => {
    const guard = NESTED_GUARDS.find((g) => g.coordinate === coordinate)!;
    expect(guard.typeName).toBe("Recording"); // reached through recording(id); another type needs another path
    const query = `query($id: ID!) { recording(id: $id) { id state timelineText ${NESTED_SELECTIONS[coordinate].selection} } }`;
    const token = callerUser(role)!.token;
    const response = transport === "HTTP" ? await gql(t.url, query, { id: recordingId }, token) : await wsResponse(token, query, { id: recordingId });

    expect(response.data?.recording).toMatchObject({ id: recordingId, state: "DELETED", timelineText: "Recording has been deleted" });
    if (expected === "allowed") {
      expect(response.errors).toBeUndefined();
      NESTED_SELECTIONS[coordinate].check(response.data?.recording[guard.field]);
    } else {
      expect(response.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([["FORBIDDEN", ["recording", guard.field]]]);
      expect(response.data?.recording[guard.field]).toBeNull();
    }
  });

  it("guards the field wherever a Recording appears: in a mutation's answer", async () => {
    const call = await startCall(t, s, await t.user([AGENT], "nested-mutation"));
    const response = await gql(t.url, `mutation($input: PauseRecordingInput!) { pauseRecording(input: $input) { id state sha256 } }`, { input: { recordingId: call.recordingId } }, s.apiUser.token);
    expect(response.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([["FORBIDDEN", ["pauseRecording", "sha256"]]]);
    expect(response.data?.pauseRecording).toEqual({ id: call.recordingId, state: "PAUSED", sha256: null });
  });

  it("guards the field wherever a Recording appears: in every timeline edge", async () => {
    const response = await gql(
      t.url,
      `query($customerId: ID!) { customerTimeline(customerId: $customerId, first: 3) { edges { node { id recording { id sizeBytes } } } } }`,
      { customerId: s.customerId },
      s.manager.token,
    );
    const edges = response.data?.customerTimeline.edges as { node: { id: string; recording: { id: string; sizeBytes: null } } }[];
    expect(edges).toHaveLength(3);
    expect(response.errors?.map((e) => [e.extensions?.code, e.path])).toEqual(
      edges.map((_edge, index) => ["FORBIDDEN", ["customerTimeline", "edges", index, "node", "recording", "sizeBytes"]]),
    );
    for (const edge of edges) expect(edge.node.recording).toEqual({ id: edge.node.id, sizeBytes: null });
  });

  it("guards the field wherever a Recording appears: in a subscription message", async () => {
    const client = wsClient(t.wsUrl, s.agent.token);
    const recorder = new SubscriptionRecorder(
      client,
      `subscription($customerId: ID!) { customerTimelineChanged(customerId: $customerId) { kind entry { recording { id agentId deletion { reason } } } } }`,
      { customerId: s.customerId },
    );
    const [snapshot] = await recorder.waitFor(1);
    expect(snapshot.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([["FORBIDDEN", ["customerTimelineChanged", "entry", "recording", "deletion"]]]);
    expect(snapshot.data?.customerTimelineChanged).toEqual({ kind: "SNAPSHOT", entry: { recording: { id: recordingId, agentId: s.agent.id, deletion: null } } });
    recorder.stop();
    await client.dispose();
  });
});

/** One query or mutation over a fresh WebSocket, expecting an answer (not a refused connection). */
async function wsResponse(token: string, query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> {
  const answer = await overWs(t, token, query, variables);
  if (!("response" in answer)) throw new Error(`the socket was closed: ${JSON.stringify(answer.closed)}`);
  return answer.response;
}

// ---------------------------------------------------------------------------------------------------
// 4. Row rules: agents see and control only their own calls
// ---------------------------------------------------------------------------------------------------

describe("row rules", () => {
  let agentA: TestUser;
  let agentB: TestUser;
  let callA: { callId: string; recordingId: string };
  let callB: { callId: string; recordingId: string };

  beforeAll(async () => {
    agentA = await t.user([AGENT], "row-agent-a");
    agentB = await t.user([AGENT], "row-agent-b");
    callA = await startCall(t, s, agentA);
    callB = await startCall(t, s, agentB);
  });

  const recordingOf = async (recordingId: string) => t.app.services.recordings.find(recordingId);
  type Target = "own" | "another agent's";
  type Address = "agentId" | "agent email" | "recordingId";
  const addressOf = (target: Target, address: Address) => {
    const [agent, call] = target === "own" ? [agentA, callA] : [agentB, callB];
    if (address === "recordingId") return { recordingId: call.recordingId };
    return { agentId: address === "agentId" ? agent.id : agent.email };
  };

  describe("pause and resume", () => {
    it.each<[string, Address, Record<string, unknown>]>([
      ["pauseRecording", "agentId", {}],
      ["pauseRecording", "agent email", {}],
      ["pauseRecording", "recordingId", {}],
      ["resumeRecording", "agentId", {}],
      ["resumeRecording", "recordingId", {}],
      ["resumeRecording", "agentId", { force: true }],
      ["resumeRecording", "recordingId", { force: true }],
    ])("an AGENT may not %s another agent's call, addressed by %s %j: FORBIDDEN and nothing changes", async (mutation, address, extra) => {
      await gql(t.url, PAUSE, { input: { recordingId: callB.recordingId, holdKey: "b-own" } }, agentB.token);
      const before = await recordingOf(callB.recordingId);
      const response = await gql(t.url, mutation === "pauseRecording" ? PAUSE : RESUME, { input: { ...addressOf("another agent's", address), ...extra } }, agentA.token);
      expect(codesOf(response)).toEqual(["FORBIDDEN"]);
      expect(response.data).toBeNull();
      expect(await recordingOf(callB.recordingId)).toMatchObject({ state: before!.state, sequence: before!.sequence });
    });

    it.each<[string, Address, string]>([
      ["pauseRecording", "agentId", "PAUSED"],
      ["resumeRecording", "agentId", "RECORDING"],
      ["pauseRecording", "agent email", "PAUSED"],
      ["resumeRecording", "agent email", "RECORDING"],
      ["pauseRecording", "recordingId", "PAUSED"],
      ["resumeRecording", "recordingId", "RECORDING"],
    ])("an AGENT may %s their own call, addressed by %s → %s", async (mutation, address, state) => {
      const response = await gql(t.url, mutation === "pauseRecording" ? PAUSE : RESUME, { input: addressOf("own", address) }, agentA.token);
      expect(response.errors).toBeUndefined();
      expect(response.data?.[mutation]).toMatchObject({ id: callA.recordingId, state });
    });

    it.each<[string, Address, () => TestUser]>([
      ["TEAM_MANAGER", "agentId", () => s.manager],
      ["TEAM_MANAGER", "recordingId", () => s.manager],
      ["API_USER", "agent email", () => s.apiUser],
      ["API_USER", "recordingId", () => s.apiUser],
    ])("%s may pause and resume any agent's call, addressed by %s", async (_role, address, user) => {
      await gql(t.url, PAUSE, { input: { recordingId: callB.recordingId, holdKey: "b-own" } }, agentB.token);
      const input = { ...addressOf("another agent's", address), holdKey: "supervisor" };
      const paused = await gql(t.url, PAUSE, { input }, user().token);
      expect(paused.errors).toBeUndefined();
      expect(paused.data?.pauseRecording).toMatchObject({ id: callB.recordingId, state: "PAUSED" });
      const resumed = await gql(t.url, RESUME, { input }, user().token);
      expect(resumed.errors).toBeUndefined();
      expect(resumed.data?.resumeRecording).toMatchObject({ id: callB.recordingId, state: "PAUSED" }); // agent B's own hold remains
      expect((resumed.data?.resumeRecording.activeHolds as { holderId: string }[]).filter((hold) => hold.holderId === user().id)).toEqual([]);
    });
  });

  describe("reading", () => {
    const RECORDING = `query($id: ID!) { recording(id: $id) { id agentId } }`;
    const STATUS = `query($agentId: ID!) { agentRecordingStatus(agentId: $agentId) { agentId state recording { id } } }`;

    it.each<[string, Target, Address]>([
      ["recording", "own", "recordingId"],
      ["recording", "another agent's", "recordingId"],
      ["agentRecordingStatus", "own", "agentId"],
      ["agentRecordingStatus", "own", "agent email"],
      ["agentRecordingStatus", "another agent's", "agentId"],
      ["agentRecordingStatus", "another agent's", "agent email"],
    ])("an AGENT asking for %s of %s call by %s", async (query, target, address) => {
      const where = addressOf(target, address);
      const response =
        query === "recording"
          ? await gql(t.url, RECORDING, { id: where.recordingId }, agentA.token)
          : await gql(t.url, STATUS, { agentId: where.agentId }, agentA.token);
      if (target === "own") {
        expect(response.errors).toBeUndefined();
        expect(JSON.stringify(response.data)).toContain(callA.recordingId);
      } else {
        expect(codesOf(response)).toEqual(["FORBIDDEN"]);
        expect(response.data).toBeNull();
      }
    });

    it.each<[string, () => TestUser]>([
      ["TEAM_MANAGER", () => s.manager],
      ["ADMINISTRATOR", () => s.admin],
      ["COMPLIANCE_ADMINISTRATOR", () => s.compliance],
      ["API_USER", () => s.apiUser],
    ])("%s may read any agent's recording and status", async (_role, user) => {
      const recording = await gql(t.url, RECORDING, { id: callB.recordingId }, user().token);
      expect(recording.data?.recording).toEqual({ id: callB.recordingId, agentId: agentB.id });
      const status = await gql(t.url, STATUS, { agentId: agentB.email }, user().token);
      expect(status.data?.agentRecordingStatus).toMatchObject({ agentId: agentB.id, recording: { id: callB.recordingId } });
    });

    it("an AGENT's customer timeline shows only the calls they handled; a TEAM_MANAGER's shows every call", async () => {
      const TIMELINE = `query($customerId: ID!) { customerTimeline(customerId: $customerId, first: 100) { edges { node { recording { agentId } } } } }`;
      const agentsIn = async (token: string) =>
        new Set(((await gql(t.url, TIMELINE, { customerId: s.customerId }, token)).data?.customerTimeline.edges as { node: { recording: { agentId: string } } }[]).map((e) => e.node.recording.agentId));
      expect([...(await agentsIn(agentA.token))]).toEqual([agentA.id]);
      const managerSees = await agentsIn(s.manager.token);
      expect(managerSees).toContain(agentA.id);
      expect(managerSees).toContain(agentB.id);
    });
  });

  describe("watching recordingStateChanged", () => {
    // Agent A is the watching AGENT; agent B is someone else. Supervisors may watch anyone, themselves included.
    type Filter = "their own id" | "A's agentId" | "A's email" | "A's recordingId" | "B's agentId" | "B's recordingId" | "a customerId";
    const filterOf = (filter: Filter, watcher: TestUser): Record<string, string> =>
      ({
        "their own id": { agentId: watcher.id },
        "A's agentId": { agentId: agentA.id },
        "A's email": { agentId: agentA.email },
        "A's recordingId": { recordingId: callA.recordingId },
        "B's agentId": { agentId: agentB.id },
        "B's recordingId": { recordingId: callB.recordingId },
        "a customerId": { customerId: s.customerId },
      })[filter];

    const FILTERS: Filter[] = ["their own id", "A's agentId", "A's email", "A's recordingId", "B's agentId", "B's recordingId", "a customerId"];
    const WATCHERS: [string, () => TestUser, (filter: Filter) => "SNAPSHOT" | "FORBIDDEN"][] = [
      ["AGENT A", () => agentA, (filter) => (filter === "their own id" || filter.startsWith("A's") ? "SNAPSHOT" : "FORBIDDEN")],
      ["TEAM_MANAGER", () => s.manager, () => "SNAPSHOT"],
      ["ADMINISTRATOR", () => s.admin, () => "SNAPSHOT"],
      ["COMPLIANCE_ADMINISTRATOR", () => s.compliance, () => "SNAPSHOT"],
      ["API_USER", () => s.apiUser, () => "FORBIDDEN"],
      ["NO_ROLES", () => noRoles, () => "FORBIDDEN"],
    ];
    const cases = WATCHERS.flatMap(([name, user, rule]) => FILTERS.map((filter) => [name, filter, rule(filter), user] as const));

    it.each(cases)("%s watching by %s → %s", async (_name, filter, expected, user) => {
      const response = await wsResponse(user().token, STATE_SUBSCRIPTION, filterOf(filter, user()));
      if (expected === "SNAPSHOT") {
        expect(response.errors).toBeUndefined();
        expect(response.data?.recordingStateChanged).toMatchObject({ kind: "SNAPSHOT" });
      } else {
        expect(codesOf(response)).toEqual(["FORBIDDEN"]);
        expect(response.data ?? null).toBeNull();
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// 5. No event reaches a subscriber who may not see it
// ---------------------------------------------------------------------------------------------------

describe("event isolation", () => {
  let clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    clients = [];
  });
  const connect = (user: TestUser) => {
    const client = wsClient(t.wsUrl, user.token);
    clients.push(client);
    return client;
  };

  it("an agent watching their own state receives nothing when another agent's recording is paused", async () => {
    const agentA = await t.user([AGENT], "iso-agent-a");
    const agentB = await t.user([AGENT], "iso-agent-b");
    const callA = await startCall(t, s, agentA);
    const callB = await startCall(t, s, agentB);

    const watchA = new SubscriptionRecorder(connect(agentA), STATE_SUBSCRIPTION, { agentId: agentA.id });
    const [snapshot] = await watchA.waitFor(1);
    expect(snapshot.data?.recordingStateChanged).toMatchObject({ kind: "SNAPSHOT", recordingId: callA.recordingId, state: "RECORDING" });

    const pausedB = await gql(t.url, PAUSE, { input: { recordingId: callB.recordingId } }, agentB.token);
    expect(pausedB.data?.pauseRecording.state).toBe("PAUSED");
    expect(await watchA.quietFor(300)).toBe(0);

    await gql(t.url, PAUSE, { input: { recordingId: callA.recordingId } }, agentA.token);
    const messages = await watchA.waitFor(2);
    expect(messages[1].errors).toBeUndefined();
    expect(messages[1].data?.recordingStateChanged).toMatchObject({
      kind: "CHANGE",
      recordingId: callA.recordingId,
      agentId: agentA.id,
      previousState: "RECORDING",
      state: "PAUSED",
      actorId: agentA.id,
    });
    expect(messages.map((m) => m.data?.recordingStateChanged.recordingId)).not.toContain(callB.recordingId);
    watchA.stop();
  });

  it("an agent watching a customer's timeline receives nothing about another agent's calls", async () => {
    const agentA = await t.user([AGENT], "iso-tl-a");
    const agentB = await t.user([AGENT], "iso-tl-b");
    const customer = await t.app.services.customers.create(s.apiUser.viewer, "test-setup", "Isolation Customer");
    const callA = await t.app.services.calls.start(s.apiUser.viewer, "test-setup", { customerId: customer.id, agentRef: agentA.id });

    const watchA = new SubscriptionRecorder(connect(agentA), `subscription($c: ID!) { customerTimelineChanged(customerId: $c) { kind entry { recording { id agentId } } } }`, {
      c: customer.id,
    });
    const [snapshot] = await watchA.waitFor(1);
    expect(snapshot.data?.customerTimelineChanged).toMatchObject({ kind: "SNAPSHOT", entry: { recording: { id: callA.recording.id } } });

    const callB = await t.app.services.calls.start(s.apiUser.viewer, "test-setup", { customerId: customer.id, agentRef: agentB.id });
    await t.app.services.calls.end(s.apiUser.viewer, "test-setup", callB.call.id);
    expect(await watchA.quietFor(300)).toBe(0);

    await t.app.services.calls.end(s.apiUser.viewer, "test-setup", callA.call.id);
    const messages = await watchA.waitFor(2);
    expect(messages[1].data?.customerTimelineChanged).toMatchObject({ kind: "CALL_ENDED", entry: { recording: { id: callA.recording.id, agentId: agentA.id } } });
    await watchA.quietFor(200);
    for (const message of messages) expect(message.data?.customerTimelineChanged.entry.recording.agentId).toBe(agentA.id);
    watchA.stop();
  });
});

// ---------------------------------------------------------------------------------------------------
// 6. Roles live in the database: a change applies on the next request, with the same token
// ---------------------------------------------------------------------------------------------------

describe("role changes take effect on the next request", () => {
  const ASSIGN = `mutation($userId: ID!, $roles: [Role!]!) { assignRoles(userId: $userId, roles: $roles) { id roles } }`;
  const assignRoles = async (userId: string, roles: Role[]) => {
    const response = await gql(t.url, ASSIGN, { userId, roles }, s.admin.token);
    expect(response.errors).toBeUndefined();
    expect(response.data?.assignRoles.roles).toEqual([...roles].sort());
  };

  it("over HTTP: a TEAM_MANAGER demoted to AGENT loses control of other agents' calls; `me` still works", async () => {
    const manager = await t.user([TEAM_MANAGER], "demoted-manager");
    const { recordingId } = await startCall(t, s, await t.user([AGENT], "demotion-callee"));
    const input = { recordingId, holdKey: "demotion" };
    expect((await gql(t.url, PAUSE, { input }, manager.token)).data?.pauseRecording.state).toBe("PAUSED");

    await assignRoles(manager.id, [AGENT]);

    expect(codesOf(await gql(t.url, RESUME, { input }, manager.token))).toEqual(["FORBIDDEN"]);
    expect(codesOf(await gql(t.url, `query($id: ID!) { recording(id: $id) { id } }`, { id: recordingId }, manager.token))).toEqual(["FORBIDDEN"]);
    expect((await gql(t.url, `query { me { roles } }`, {}, manager.token)).data?.me.roles).toEqual([AGENT]);
  });

  it("over HTTP: an ADMINISTRATOR who makes themselves COMPLIANCE_ADMINISTRATOR only gains auditLog and loses users", async () => {
    const admin = await t.user([ADMINISTRATOR], "self-assigning-admin");
    const USERS = `query { users { id } }`;
    const AUDIT = `query { auditLog(first: 1) { edges { cursor } } }`;
    expect(codesOf(await gql(t.url, USERS, {}, admin.token))).toEqual([]);
    expect(codesOf(await gql(t.url, AUDIT, {}, admin.token))).toEqual(["FORBIDDEN"]);

    const self = await gql(t.url, ASSIGN, { userId: admin.id, roles: [COMPLIANCE_ADMINISTRATOR] }, admin.token);
    expect(self.data?.assignRoles.roles).toEqual([COMPLIANCE_ADMINISTRATOR]);

    expect(codesOf(await gql(t.url, AUDIT, {}, admin.token))).toEqual([]);
    expect(codesOf(await gql(t.url, USERS, {}, admin.token))).toEqual(["FORBIDDEN"]);
    expect(codesOf(await gql(t.url, ASSIGN, { userId: admin.id, roles: [ADMINISTRATOR] }, admin.token))).toEqual(["FORBIDDEN"]);
  });

  it("over one WebSocket opened before the change: the next operation on the same socket is refused", async () => {
    const manager = await t.user([TEAM_MANAGER], "ws-demoted-manager");
    const watched = await t.user([AGENT], "ws-watched");
    let connections = 0;
    const client = wsClient(t.wsUrl, manager.token, { lazy: false, on: { connected: () => connections++ } });
    try {
      const before = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { agentId: watched.id });
      expect((await before.waitFor(1))[0].data?.recordingStateChanged.kind).toBe("SNAPSHOT");
      before.stop();

      await assignRoles(manager.id, []);

      const after = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { agentId: watched.id });
      expect(codesOf((await after.waitFor(1))[0])).toEqual(["FORBIDDEN"]);
      const me = new SubscriptionRecorder(client, `query { me { roles } }`);
      expect((await me.waitFor(1))[0].data?.me.roles).toEqual([]);
      expect(connections).toBe(1);
    } finally {
      await client.dispose();
    }
  });
});
