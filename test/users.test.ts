import { Role } from "../src/auth/role";
import { codesOf, gql } from "./support/graphql-client";
import { Scenario, startScenarioApp } from "./support/scenario";
import { TestApp } from "./support/test-app";

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id email roles } }`;

describe("createUser", () => {
  it("creates exactly one user when the same email is submitted concurrently; the others get BAD_USER_INPUT", async () => {
    const input = { email: "Twice@Example.test", displayName: "Twice", roles: ["AGENT"] };
    const results = await Promise.all(Array.from({ length: 6 }, () => gql(t.url, CREATE_USER, { input }, s.admin.token)));
    const created = results.filter((r) => r.data?.createUser);
    expect(created).toHaveLength(1);
    expect(created[0].data?.createUser).toMatchObject({ email: "twice@example.test", roles: ["AGENT"] });
    for (const refused of results.filter((r) => !r.data?.createUser)) expect(codesOf(refused)).toEqual(["BAD_USER_INPUT"]);
    const [{ count }] = await t.app.services.dataSource.query("SELECT COUNT(*) AS count FROM users WHERE email = 'twice@example.test'");
    expect(Number(count)).toBe(1);
  });
});

describe("viewers read together", () => {
  it("gives each of many concurrent requests its own user's current roles, and an unknown user none", async () => {
    const agent = await t.user([Role.AGENT], "viewer-agent");
    const manager = await t.user([Role.TEAM_MANAGER, Role.AGENT], "viewer-manager");
    const { users } = t.app.services;
    const unknown = "00000000-0000-4000-8000-000000000000";
    const ids = Array.from({ length: 30 }, (_, i) => [agent.id, manager.id, unknown][i % 3]);
    const viewers = await Promise.all(ids.map((id) => users.loadViewer(id)));
    viewers.forEach((viewer, i) => {
      if (ids[i] === unknown) return expect(viewer).toBeUndefined();
      expect(viewer?.userId).toBe(ids[i]);
      expect([...viewer!.roles]).toEqual(ids[i] === agent.id ? [Role.AGENT] : [Role.AGENT, Role.TEAM_MANAGER]);
    });
  });

  it("answers every lookup of a turn with more users than one query takes (100 ids each)", async () => {
    const agent = await t.user([Role.AGENT], "viewer-far");
    const { users } = t.app.services;
    // 150 unknown users with the known one in the second query's share.
    const ids = Array.from({ length: 150 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    ids[120] = agent.id;
    const viewers = await Promise.all(ids.map((id) => users.loadViewer(id)));
    expect(viewers.filter(Boolean).map((viewer) => viewer!.userId)).toEqual([agent.id]);
    expect(viewers[120]?.roles).toEqual(new Set([Role.AGENT]));
  });

  it("reads the roles again for the next request after a role change", async () => {
    const user = await t.user([Role.AGENT], "viewer-promoted");
    const ME_ROLES = `{ me { roles } }`;
    expect((await gql(t.url, ME_ROLES, {}, user.token)).data?.me).toEqual({ roles: ["AGENT"] });
    const ASSIGN = `mutation($userId: ID!, $roles: [Role!]!) { assignRoles(userId: $userId, roles: $roles) { id roles } }`;
    expect((await gql(t.url, ASSIGN, { userId: user.id, roles: ["AGENT", "TEAM_MANAGER"] }, s.admin.token)).errors).toBeUndefined();
    expect((await gql(t.url, ME_ROLES, {}, user.token)).data?.me).toEqual({ roles: ["AGENT", "TEAM_MANAGER"] });
  });
});
