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
