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
