import { gzipSync } from "node:zlib";
import { Role } from "../src/auth/role";
import { codesOf, GraphQLResponse } from "./support/graphql-client";
import { startTestApp, TestApp, TestUser } from "./support/test-app";

/**
 * Plain JSON POSTs to /graphql skip Express (src/http/graphql-post.ts); everything else still goes through it.
 * Both must answer the same way: the same codes, the request id, the CORS header.
 */
let t: TestApp;
let agent: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  agent = await t.user([Role.AGENT], "post-agent");
});
afterAll(() => t.close());

const post = (body: string | Buffer, headers: Record<string, string>) =>
  fetch(t.url, { method: "POST", headers: { authorization: `Bearer ${agent.token}`, ...headers }, body });

const ME = JSON.stringify({ query: "{ me { id } }" });

describe("GraphQL over HTTP POST", () => {
  it("answers a plain JSON POST with the request id and the CORS header", async () => {
    const response = await post(ME, { "content-type": "application/json", "x-request-id": "post-test-1" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("post-test-1");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(((await response.json()) as GraphQLResponse).data).toEqual({ me: { id: agent.id } });
  });

  it("accepts the charset parameter and a query string", async () => {
    const response = await fetch(`${t.url}?trace=1`, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json; charset=utf-8" },
      body: ME,
    });
    expect(((await response.json()) as GraphQLResponse).data).toEqual({ me: { id: agent.id } });
  });

  it.each([
    ["malformed JSON", "{ not json"],
    ["a JSON string instead of an object", JSON.stringify("{ me { id } }")],
  ])("refuses %s with 400 BAD_REQUEST", async (_label, body) => {
    const response = await post(body, { "content-type": "application/json" });
    expect(response.status).toBe(400);
    expect(codesOf((await response.json()) as GraphQLResponse)).toEqual(["BAD_REQUEST"]);
  });

  it("refuses an unauthenticated token with UNAUTHENTICATED, as through Express", async () => {
    const response = await fetch(t.url, { method: "POST", headers: { authorization: "Bearer nonsense", "content-type": "application/json" }, body: ME });
    expect(codesOf((await response.json()) as GraphQLResponse)).toEqual(["UNAUTHENTICATED"]);
  });

  it("still serves a gzip-encoded body through Express", async () => {
    const response = await post(gzipSync(ME), { "content-type": "application/json", "content-encoding": "gzip" });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(((await response.json()) as GraphQLResponse).data).toEqual({ me: { id: agent.id } });
  });

  it("still answers a CORS preflight through Express", async () => {
    const response = await fetch(t.url, { method: "OPTIONS", headers: { origin: "https://agent.example", "access-control-request-method": "POST" } });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("the POST lane (graphql-post-lane.ts): the common case without Apollo's pipeline, answered as Apollo answers it", () => {
  // An Accept header Apollo negotiates sends the same request through Apollo, for the same answer to compare with.
  const VIA_APOLLO = { accept: "application/json, text/plain;q=0.5" };
  const both = async (body: Record<string, unknown>, token = agent.token) => {
    const send = async (extra: Record<string, string>, requestId: string) => {
      const response = await fetch(t.url, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-request-id": requestId, ...extra },
        body: JSON.stringify(body),
      });
      // The request ids differ by one letter, so the bodies compare equal once it is put back.
      return { status: response.status, type: response.headers.get("content-type"), body: (await response.text()).replaceAll(requestId, "request") };
    };
    const before = { ...t.app.server.postLane };
    const lane = await send({}, "lane-1");
    const afterLane = { ...t.app.server.postLane };
    const apollo = await send(VIA_APOLLO, "apollo-1");
    expect(t.app.server.postLane.answered).toBe(afterLane.answered);
    return { lane, apollo, answeredByLane: afterLane.answered - before.answered === 1 };
  };

  it.each([
    ["a query", { query: "{ me { id roles } }" }],
    ["a query with variables and an operation name", { query: "query A($id: ID!) { agentRecordingStatus(agentId: $id) { agentId state } } query B { me { id } }", variables: { id: "x" }, operationName: "A" }],
    ["a domain error in a mutation (no live call)", { query: "mutation { pauseRecording(input: {}) { id } }" }],
    ["a refusal (FORBIDDEN) with data null", { query: "{ auditLog { edges { cursor } } }" }],
    ["an argument that fails validation (BAD_USER_INPUT)", { query: `mutation { pauseRecording(input: { holdKey: "${"k".repeat(101)}" }) { id } }` }],
  ])("answers %s itself, byte for byte as Apollo does", async (_name, body) => {
    const { lane, apollo, answeredByLane } = await both(body);
    expect(answeredByLane).toBe(true);
    expect(lane).toEqual(apollo);
    expect(lane.type).toBe("application/json; charset=utf-8");
  });

  it.each([
    ["a text that does not parse", { query: "{ me { id " }, ["GRAPHQL_PARSE_FAILED"], 400],
    ["a text that does not validate", { query: "{ me { nope } }" }, ["GRAPHQL_VALIDATION_FAILED"], 400],
    ["variables that do not coerce", { query: "query($id: ID!) { agentRecordingStatus(agentId: $id) { state } }", variables: {} }, ["BAD_USER_INPUT"], 400],
    ["a subscription", { query: "subscription { recordingStateChanged(agentId: \"x\") { sequence } }" }, ["BAD_REQUEST"], 400],
    ["an operation name that names nothing", { query: "{ me { id } }", operationName: "Nope" }, ["BAD_USER_INPUT"], 400],
    ["a request with extensions", { query: "{ me { id } }", extensions: { client: "test" } }, [], 200],
  ])("hands %s to Apollo, which answers it as before", async (_name, body, codes, status) => {
    const before = { ...t.app.server.postLane };
    const response = await post(JSON.stringify(body), { "content-type": "application/json" });
    expect([response.status, codesOf((await response.json()) as GraphQLResponse)]).toEqual([status, codes]);
    expect(t.app.server.postLane.answered).toBe(before.answered);
    expect(t.app.server.postLane.toApollo).toBe(before.toApollo + 1);
  });

  it("hands a token it cannot verify to Apollo (UNAUTHENTICATED, 401), having run nothing", async () => {
    const { lane, apollo, answeredByLane } = await both({ query: "{ me { id } }" }, "not-a-token");
    expect(answeredByLane).toBe(false);
    expect(lane).toEqual(apollo);
    expect([lane.status, codesOf(JSON.parse(lane.body))]).toEqual([401, ["UNAUTHENTICATED"]]);
  });
});

