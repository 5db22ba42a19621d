import { randomUUID } from "node:crypto";
import type { Client } from "graphql-ws";
import { Role } from "../src/auth/role";
import { codesOf, gql, GraphQLResponse, wsClient } from "./support/graphql-client";
import { startTestApp, TestApp, TestUser } from "./support/test-app";
import { initSocket, wsRequest } from "./support/ws-helpers";

const INTROSPECTION = [
  ["__schema", "{ __schema { types { name } } }"],
  ["__type", `{ __type(name: "Recording") { fields { name } } }`],
  ["__schema beside a real field", "{ me { id } __schema { queryType { name } } }"],
];

/** A browser opening the endpoint: this is what Apollo answers with its landing page when one is enabled. */
const browse = (url: string) => fetch(url, { headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" } });

describe("production", () => {
  let t: TestApp;
  let manager: TestUser;
  let client: Client;

  beforeAll(async () => {
    t = await startTestApp({ nodeEnv: "production" });
    manager = await t.user([Role.TEAM_MANAGER], "prod-manager");
    client = wsClient(t.wsUrl, manager.token);
  });
  afterAll(async () => {
    await client.dispose();
    await t.close();
  });

  it.each(INTROSPECTION)("refuses introspection (%s) over HTTP and WS with GRAPHQL_VALIDATION_FAILED", async (_name, query) => {
    for (const token of [undefined, manager.token]) {
      const http = await gql(t.url, query, {}, token);
      expect(http.status).toBe(400);
      expect(http.data ?? null).toBeNull();
      expect(new Set(codesOf(http))).toEqual(new Set(["GRAPHQL_VALIDATION_FAILED"]));
    }
    const ws = await wsRequest(client, query);
    expect(ws.data ?? null).toBeNull();
    expect(new Set(codesOf(ws))).toEqual(new Set(["GRAPHQL_VALIDATION_FAILED"]));
  });

  it("does not suggest field names in validation errors, on either transport", async () => {
    const http = await gql(t.url, "{ mee { id } }", {}, manager.token);
    const ws = await wsRequest(client, "{ mee { id } }");
    for (const response of [http, ws]) {
      expect(codesOf(response)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
      expect(response.errors?.[0].message).not.toMatch(/Did you mean|"me"/);
    }
  });

  it("still answers __typename (clients' caches rely on it)", async () => {
    expect((await gql(t.url, "{ __typename }")).data).toEqual({ __typename: "Query" });
    expect((await wsRequest(client, "{ __typename }")).data).toEqual({ __typename: "Query" });
  });

  it("does not serve the Sandbox landing page to a browser", async () => {
    const response = await browse(t.url);
    const body = await response.text();
    expect(response.headers.get("content-type") ?? "").not.toMatch(/text\/html/);
    expect(body).not.toMatch(/<html|<!doctype|sandbox/i);
  });
});

describe("production: unexpected errors", () => {
  // A throwaway app whose database loses a table: a genuine failure deep in a resolver, no mocks.
  let t: TestApp;
  let compliance: TestUser;
  let agent: TestUser;
  /** A user no request has read yet: a viewer read before the roles table went would answer from the viewer cache. */
  let unreadToken: string;
  const AUDIT_LOG = "{ auditLog(first: 5) { edges { node { position action } } } }";

  beforeAll(async () => {
    t = await startTestApp({ nodeEnv: "production" });
    compliance = await t.user([Role.COMPLIANCE_ADMINISTRATOR], "prod-compliance");
    agent = await t.user([Role.AGENT], "prod-agent");
    const unread = await t.app.services.users.create(undefined, "test-setup", { email: `prod-unread-${randomUUID()}@test.example`, displayName: "unread", roles: [Role.AGENT] });
    unreadToken = await t.app.services.tokens.mint(unread.id);
    expect(codesOf(await gql(t.url, AUDIT_LOG, {}, compliance.token))).toEqual([]);
    await t.app.services.dataSource.query("DROP TABLE audit_entries");
  });
  afterAll(() => t.close());

  /** Nothing of the failure's internals may reach the client. */
  const expectNothingLeaks = (raw: string) => {
    expect(raw).not.toMatch(/audit_entries|select |sqlite|ER_NO_SUCH_TABLE|doesn't exist|no such table|QueryFailedError|stacktrace|\.ts:\d|node_modules/i);
  };

  it("HTTP: masks it (message, code, no stack, no SQL) and ties it to the request id in the response and the log", async () => {
    const requestId = `prod-${randomUUID()}`;
    const response = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${compliance.token}`, "x-request-id": requestId },
      body: JSON.stringify({ query: AUDIT_LOG }),
    });
    const raw = await response.text();
    const body = JSON.parse(raw) as GraphQLResponse;
    expect(response.headers.get("x-request-id")).toBe(requestId);
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toMatchObject({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR", requestId } });
    expect(Object.keys(body.errors![0].extensions!).sort()).toEqual(["code", "requestId"]);
    expectNothingLeaks(raw);
    // The detail goes to the log instead, under the same request id.
    const logged = t.logs.filter((line) => line.includes(requestId));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/audit_entries/);
  });

  it("WS: masks it the same way, with the operation's request id in the error and in the log", async () => {
    const client = wsClient(t.wsUrl, compliance.token);
    try {
      const response = await wsRequest(client, AUDIT_LOG);
      expect(response.data ?? null).toBeNull();
      expect(response.errors).toHaveLength(1);
      expect(response.errors![0]).toMatchObject({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
      expect(Object.keys(response.errors![0].extensions!).sort()).toEqual(["code", "requestId"]);
      const requestId = response.errors![0].extensions!.requestId as string;
      expect(requestId).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
      expectNothingLeaks(JSON.stringify(response));
      const logged = t.logs.filter((line) => line.includes(requestId));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/audit_entries/);
    } finally {
      await client.dispose();
    }
  });

  it("passes expected errors through unmasked: they carry their own code", async () => {
    expect(codesOf(await gql(t.url, AUDIT_LOG, {}, agent.token))).toEqual(["FORBIDDEN"]);
    expect(codesOf(await gql(t.url, AUDIT_LOG))).toEqual(["UNAUTHENTICATED"]);
  });

  describe("when authentication itself fails unexpectedly (the roles table is gone)", () => {
    beforeAll(async () => {
      await t.app.services.dataSource.query("DROP TABLE user_roles");
    });

    it("HTTP: masked, 500, request id in the response and the log", async () => {
      const requestId = `prod-ctx-${randomUUID()}`;
      const response = await fetch(t.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${unreadToken}`, "x-request-id": requestId },
        body: JSON.stringify({ query: "{ me { id } }" }),
      });
      const raw = await response.text();
      const body = JSON.parse(raw) as GraphQLResponse;
      expect(response.status).toBe(500);
      expect(response.headers.get("x-request-id")).toBe(requestId);
      expect(body.errors).toEqual([{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR", requestId } }]);
      expect(raw).not.toMatch(/user_roles|select |sqlite|ER_NO_SUCH_TABLE|no such table|doesn't exist|Context creation/i);
      expect(t.logs.filter((line) => line.includes(requestId))).toHaveLength(1);
    });

    it("WS: connection_init is closed with 4500 and a generic reason", async () => {
      const { acked, close } = await initSocket(t.wsUrl, { authorization: `Bearer ${unreadToken}` });
      expect(acked).toBe(false);
      expect(close?.code).toBe(4500);
      expect(close?.reason).toBe("Internal server error");
    });
  });
});

describe("development", () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ nodeEnv: "development" });
    admin = await t.user([Role.ADMINISTRATOR], "dev-admin");
  });
  afterAll(() => t.close());

  it("serves the Apollo Sandbox landing page to a browser", async () => {
    const response = await browse(t.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toMatch(/sandbox/i);
  });

  it("allows introspection (Sandbox needs it) over HTTP and WS", async () => {
    const http = await gql(t.url, INTROSPECTION[0][1]);
    expect(codesOf(http)).toEqual([]);
    expect(http.data?.__schema.types.map((type: { name: string }) => type.name)).toContain("Recording");
    const client = wsClient(t.wsUrl, admin.token);
    try {
      const ws = await wsRequest(client, INTROSPECTION[1][1]);
      expect(ws.data?.__type.fields.map((field: { name: string }) => field.name)).toContain("state");
    } finally {
      await client.dispose();
    }
  });
});
