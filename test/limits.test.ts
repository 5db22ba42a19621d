import { buildSchema, parse, specifiedRules, validate } from "graphql";
import type { Client } from "graphql-ws";
import { Role } from "../src/auth/role";
import { CustomerEntity } from "../src/customers/customer.entity";
import { depthLimitRule, LIMITS } from "../src/graphql/limits";
import { codesOf, gql, GraphQLResponse, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { STATE_SUBSCRIPTION } from "./support/scenario";
import { startTestApp, TestApp, TestUser } from "./support/test-app";
import { initSocket, RawSocket, wsRequest } from "./support/ws-helpers";

let t: TestApp;
let agent: TestUser;
let client: Client;

beforeAll(async () => {
  t = await startTestApp();
  agent = await t.user([Role.AGENT], "limits-agent");
  client = wsClient(t.wsUrl, agent.token);
});
afterAll(async () => {
  await client.dispose();
  await t.close();
});

/** The same operation, signed in as the same user, over both transports. */
async function overBoth(query: string, variables: Record<string, unknown> = {}): Promise<{ http: GraphQLResponse; ws: GraphQLResponse }> {
  return { http: await gql(t.url, query, variables, agent.token), ws: await wsRequest(client, query, variables) };
}

const unique = (codes: unknown[]) => [...new Set(codes)].sort();

const aliased = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: me { id }`).join(" ")} }`;
/**
 * Complexity counts every selected field, repeated or not: `me` costs 1, each spread of U 5, each extra field 1.
 * (A selection that big through distinct fields needs more than 15 aliases, so repetition is how a client gets there.)
 */
const costing = (cost: number) => {
  const spreads = Math.floor((cost - 1) / 5);
  return `fragment U on User { id email displayName createdAt roles } { me { ${"...U ".repeat(spreads)}${"id ".repeat(cost - 1 - spreads * 5)}} }`;
};
/**
 * No real field of this schema nests deeper than 6 (customerTimeline.edges.node.recording.agent.id), so a
 * query past the depth limit necessarily names fields that do not exist; the depth rule still reports it.
 */
const nested = (depth: number) => `{ me ${"{ deeper ".repeat(depth - 2)}{ id }${" }".repeat(depth - 2)} }`;

describe("limits are the same on HTTP and graphql-ws", () => {
  it("exposes the documented limits", () => {
    expect(LIMITS).toEqual({
      maxDepth: 8,
      maxAliases: 15,
      maxComplexity: 1000,
      maxPayloadBytes: 64 * 1024,
      maxTokens: 2000,
      maxSubscriptionsPerSocket: 20,
      connectionInitTimeoutMs: 3000,
    });
  });

  it.each([
    ["15 aliases", aliased(15)],
    ["complexity of exactly 1000", costing(1000)],
    ["the deepest real selection (6)", `{ customerTimeline(customerId: "00000000-0000-0000-0000-000000000000") { edges { node { recording { agent { id } } } } } }`],
  ])("accepts a query at the limit: %s", async (_name, query) => {
    const { http, ws } = await overBoth(query);
    // The timeline query runs and fails on the unknown customer: the limits let it through.
    const expected = query.includes("customerTimeline") ? ["NOT_FOUND"] : [];
    expect(codesOf(http)).toEqual(expected);
    expect(codesOf(ws)).toEqual(expected);
    expect(http.status).toBe(200);
  });

  it.each([
    ["16 aliases", "QUERY_TOO_COMPLEX", aliased(16)],
    ["complexity 1001", "QUERY_TOO_COMPLEX", costing(1001)],
    ["more than 2000 tokens", "GRAPHQL_PARSE_FAILED", `{ me { ${"id ".repeat(2000)}} }`],
    ["a syntax error", "GRAPHQL_PARSE_FAILED", "{ me { id "],
    ["an unknown field", "GRAPHQL_VALIDATION_FAILED", "{ me { password } }"],
  ])("refuses %s with %s on both transports, before running anything", async (_name, code, query) => {
    const { http, ws } = await overBoth(query);
    expect(codesOf(http)).toEqual([code]);
    expect(codesOf(ws)).toEqual([code]);
    expect(http.data ?? null).toBeNull();
    expect(ws.data ?? null).toBeNull();
    expect(http.status).toBe(400);
  });

  it.each([
    ["16 aliased createCustomer", `mutation { ${Array.from({ length: 16 }, (_, i) => `c${i}: createCustomer(input: { name: "alias ${i}" }) { id }`).join(" ")} }`],
    ["a createCustomer costing 1001", `fragment C on Customer { id name createdAt } mutation { createCustomer(input: { name: "costly" }) { ${"...C ".repeat(333)}id } }`],
  ])("a refused mutation (%s) changes nothing on either transport", async (_name, mutation) => {
    const integration = await t.user([Role.API_USER], "limits-oms");
    const integrationWs = wsClient(t.wsUrl, integration.token);
    try {
      const before = await t.app.services.dataSource.getRepository(CustomerEntity).count();
      expect(codesOf(await gql(t.url, mutation, {}, integration.token))).toEqual(["QUERY_TOO_COMPLEX"]);
      expect(codesOf(await wsRequest(integrationWs, mutation))).toEqual(["QUERY_TOO_COMPLEX"]);
      expect(await t.app.services.dataSource.getRepository(CustomerEntity).count()).toBe(before);
      // The control: the same integration may create customers.
      expect(codesOf(await gql(t.url, `mutation { createCustomer(input: { name: "one" }) { id } }`, {}, integration.token))).toEqual([]);
    } finally {
      await integrationWs.dispose();
    }
  });

  it("refuses a query deeper than 8 with QUERY_TOO_COMPLEX on both transports", async () => {
    const { http, ws } = await overBoth(nested(9));
    expect(codesOf(http)).toContain("QUERY_TOO_COMPLEX");
    expect(unique(codesOf(ws))).toEqual(unique(codesOf(http)));
    expect(http.status).toBe(400);
    // At depth 8 only the unknown fields are reported.
    const { http: http8, ws: ws8 } = await overBoth(nested(8));
    expect(unique(codesOf(http8))).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(unique(codesOf(ws8))).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
  });

  describe("depth rule (on a recursive schema, where depth is reachable with valid queries)", () => {
    const schema = buildSchema(`type Node { id: ID child: Node } type Query { root: Node }`);
    const chain = (depth: number) => `root ${"{ child ".repeat(depth - 2)}{ id }${" }".repeat(depth - 2)}`;
    const check = (query: string) => validate(schema, parse(query), [...specifiedRules, depthLimitRule(LIMITS.maxDepth)]).map((e) => e.extensions.code);

    it.each([
      ["8 levels", `{ ${chain(8)} }`, []],
      ["9 levels", `{ ${chain(9)} }`, ["QUERY_TOO_COMPLEX"]],
      ["9 levels through a named fragment", `{ root { ...F } } fragment F on Node { ${chain(8).replace(/^root /, "child ")} }`, ["QUERY_TOO_COMPLEX"]],
      ["9 levels through an inline fragment", `{ root { ... on Node { ${chain(8).replace(/^root /, "child ")} } } }`, ["QUERY_TOO_COMPLEX"]],
    ])("%s", (_name, query, codes) => {
      expect(check(query)).toEqual(codes);
    });

    it("terminates on a fragment cycle (reported by graphql's own rule)", () => {
      const codes = check(`{ root { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...A } }`);
      expect(codes.length).toBeGreaterThan(0);
      expect(codes).not.toContain("QUERY_TOO_COMPLEX");
    });
  });

  describe("payload size (64 KiB)", () => {
    const padded = (bytes: number) => `# ${"x".repeat(bytes)}\n{ me { id } }`;

    it("accepts a request just under the limit on both transports", async () => {
      const { http, ws } = await overBoth(padded(60_000));
      expect(http.data?.me.id).toBe(agent.id);
      expect(ws.data?.me.id).toBe(agent.id);
    });

    it("HTTP: answers 413 with a JSON error PAYLOAD_TOO_LARGE", async () => {
      const response = await fetch(t.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${agent.token}` },
        body: JSON.stringify({ query: padded(70_000) }),
      });
      expect(response.status).toBe(413);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(codesOf((await response.json()) as GraphQLResponse)).toEqual(["PAYLOAD_TOO_LARGE"]);
    });

    it("WS: closes the socket with 1009 (message too big), after connection_init or before it", async () => {
      const { socket, acked } = await initSocket(t.wsUrl, { authorization: `Bearer ${agent.token}` });
      expect(acked).toBe(true);
      socket.send({ id: "1", type: "subscribe", payload: { query: padded(70_000) } });
      expect((await socket.closed).code).toBe(1009);

      const silent = new RawSocket(t.wsUrl);
      await silent.opened;
      silent.send({ type: "connection_init", payload: { authorization: `Bearer ${agent.token}`, padding: "x".repeat(70_000) } });
      expect((await silent.closed).code).toBe(1009);
    });
  });

  describe("subscriptions per socket", () => {
    it(`allows ${LIMITS.maxSubscriptionsPerSocket} concurrent operations per socket; the next gets TOO_MANY_SUBSCRIPTIONS`, async () => {
      const socket = wsClient(t.wsUrl, agent.token);
      const other = wsClient(t.wsUrl, agent.token);
      const watch = () => new SubscriptionRecorder(socket, STATE_SUBSCRIPTION, { agentId: agent.id });
      try {
        const live = Array.from({ length: LIMITS.maxSubscriptionsPerSocket }, watch);
        for (const recorder of live) expect((await recorder.waitFor(1))[0].data?.recordingStateChanged.kind).toBe("SNAPSHOT");

        const refused = watch();
        await refused.waitFor(1);
        expect(refused.messages).toEqual([]);
        expect(codesOf({ errors: refused.error as never })).toEqual(["TOO_MANY_SUBSCRIPTIONS"]);
        // Queries share the budget: an operation is an operation.
        expect(codesOf(await wsRequest(socket, "{ me { id } }"))).toEqual(["TOO_MANY_SUBSCRIPTIONS"]);
        // The refusal does not disturb the live ones, and the limit is per socket.
        expect(live.every((r) => r.error === undefined && !r.completed)).toBe(true);
        expect((await wsRequest(other, "{ me { id } }")).data?.me.id).toBe(agent.id);

        // Ending one frees its slot.
        live.pop()!.stop();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const replacement = watch();
        expect((await replacement.waitFor(1))[0].data?.recordingStateChanged.kind).toBe("SNAPSHOT");
      } finally {
        await socket.dispose();
        await other.dispose();
      }
    });
  });

  describe("connection_init", () => {
    it("closes a socket that never sends connection_init after ~3 s with 4408", async () => {
      const socket = new RawSocket(t.wsUrl);
      await socket.opened;
      const opened = Date.now();
      const close = await socket.closed;
      const elapsed = Date.now() - opened;
      expect(close.code).toBe(4408);
      expect(elapsed).toBeGreaterThanOrEqual(LIMITS.connectionInitTimeoutMs - 200);
      expect(elapsed).toBeLessThan(LIMITS.connectionInitTimeoutMs + 2000);
    });

    it("keeps a socket that did send connection_init open past the timeout", async () => {
      const { socket, acked } = await initSocket(t.wsUrl, { authorization: `Bearer ${agent.token}` });
      expect(acked).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, LIMITS.connectionInitTimeoutMs + 500));
      socket.send({ id: "1", type: "subscribe", payload: { query: "{ me { id } }" } });
      expect(await socket.next()).toMatchObject({ id: "1", type: "next", payload: { data: { me: { id: agent.id } } } });
      socket.close();
    });
  });
});
