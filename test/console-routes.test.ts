/**
 * The console's server side, over HTTP: the permission map the browser uses is the schema's own `@auth`
 * declarations (not a copy), and the development-only demo routes answer 404 in production.
 */
import fs from "node:fs";
import path from "node:path";
import { buildSchema, getDirectiveValues, GraphQLDirective } from "graphql";
import { Role } from "../src/auth/role";
import { gql } from "./support/graphql-client";
import { createScenario, Scenario, startCall } from "./support/scenario";
import { startTestApp, TestApp } from "./support/test-app";

const CONTRACT = buildSchema(fs.readFileSync(path.join(__dirname, "..", "schema", "schema.graphql"), "utf8"));

/** "Query.users" → roles, read from the committed SDL independently of the server's code. */
function declaredInContract(): Record<string, string[]> {
  const auth = CONTRACT.getDirective("auth") as GraphQLDirective;
  const result: Record<string, string[]> = {};
  for (const root of [CONTRACT.getQueryType(), CONTRACT.getMutationType(), CONTRACT.getSubscriptionType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      const values = field.astNode ? getDirectiveValues(auth, field.astNode) : undefined;
      if (values) result[`${root!.name}.${field.name}`] = [...((values.requires as string[] | undefined) ?? [])].sort();
    }
  }
  return result;
}

const origin = (t: TestApp) => t.url.replace(/\/graphql$/, "");

describe("console routes (development)", () => {
  let t: TestApp;
  let s: Scenario;
  beforeAll(async () => {
    t = await startTestApp();
    s = await createScenario(t);
  });
  afterAll(() => t.close());

  it("serves the permission map that the schema's @auth declarations describe, to signed-in users only", async () => {
    const anonymous = await fetch(`${origin(t)}/console/permissions`);
    expect(anonymous.status).toBe(401);
    const response = await fetch(`${origin(t)}/console/permissions`, { headers: { authorization: `Bearer ${s.agent.token}` } });
    expect(response.status).toBe(200);
    const { operations } = (await response.json()) as { operations: Record<string, string[]> };
    expect(operations).toEqual(declaredInContract());
    expect(operations["Query.me"]).toEqual([]);
    expect(operations["Mutation.deleteRecording"]).toEqual([Role.COMPLIANCE_ADMINISTRATOR]);
  });

  it("lists demo users and mints a working token for one of them", async () => {
    const users = (await (await fetch(`${origin(t)}/console/demo/users`)).json()) as { users: { email: string; roles: string[] }[] };
    expect(users.users).toEqual(expect.arrayContaining([{ email: s.agent.email, displayName: "agent", roles: [Role.AGENT] }]));
    const minted = await fetch(`${origin(t)}/console/demo/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: s.agent.email }) });
    const { token } = (await minted.json()) as { token: string };
    expect((await gql(t.url, `query { me { email } }`, {}, token)).data?.me.email).toBe(s.agent.email);
    const unknown = await fetch(`${origin(t)}/console/demo/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "x@nowhere.test" }) });
    expect(unknown.status).toBe(404);
  });

  it("the demo OMS card field pauses the signed-in agent's call as the order system (hold oms-card-field) and resumes on blur", async () => {
    const oms = await t.app.services.users.create(undefined, "test-setup", { email: "oms@callvault.test", displayName: "OMS", roles: [Role.API_USER] });
    const { recordingId } = await startCall(t, s);
    const field = (focused: boolean) =>
      fetch(`${origin(t)}/console/demo/oms/card-field`, {
        method: "POST",
        headers: { authorization: `Bearer ${s.agent.token}`, "content-type": "application/json" },
        body: JSON.stringify({ focused }),
      });
    expect((await field(true)).status).toBe(204);
    const status = `query($id: ID!) { recording(id: $id) { state activeHolds { holderId holdKey source } } }`;
    expect((await gql(t.url, status, { id: recordingId }, s.manager.token)).data?.recording).toEqual({
      state: "PAUSED",
      activeHolds: [{ holderId: oms.id, holdKey: "oms-card-field", source: "API" }],
    });
    expect((await field(false)).status).toBe(204);
    expect((await gql(t.url, status, { id: recordingId }, s.manager.token)).data?.recording).toEqual({ state: "RECORDING", activeHolds: [] });
    // Anonymous callers cannot drive it.
    expect((await fetch(`${origin(t)}/console/demo/oms/card-field`, { method: "POST" })).status).toBe(401);
  });
});

describe("console routes (production)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ nodeEnv: "production", media: { masterKey: Buffer.alloc(32, 7).toString("base64") } });
  });
  afterAll(() => t.close());

  it("refuses the demo sign-in and the demo OMS route with 404", async () => {
    expect((await fetch(`${origin(t)}/console/demo/users`)).status).toBe(404);
    const token = await fetch(`${origin(t)}/console/demo/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "admin@callvault.test" }) });
    expect(token.status).toBe(404);
    expect((await fetch(`${origin(t)}/console/demo/oms/card-field`, { method: "POST" })).status).toBe(404);
  });
});
