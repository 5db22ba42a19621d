import { Role } from "../src/auth/role";
import { DEMO_USERS } from "../src/seed/demo-users";
import { gql } from "./support/graphql-client";
import { startTestApp, TestApp } from "./support/test-app";

let t: TestApp;
beforeAll(async () => (t = await startTestApp({ seedDemo: true })));
afterAll(() => t.close());

const tokenFor = async (email: string) => t.app.services.tokens.mint((await t.app.services.users.findByReference(email))!.id);

describe("the demo seed", () => {
  it("has one user per role, each able to sign in with a minted token", async () => {
    const roles = new Set(DEMO_USERS.flatMap((user) => user.roles));
    expect(roles).toEqual(new Set(Object.values(Role)));
    for (const user of DEMO_USERS) {
      const me = await gql(t.url, "{ me { email roles } }", {}, await tokenFor(user.email));
      expect(me.data?.me).toEqual({ email: user.email, roles: [...user.roles] });
    }
  });

  it("gives Alice a live call to pause, and past calls with real audio a Compliance Administrator can download", async () => {
    const alice = await gql(t.url, `{ agentRecordingStatus(agentId: "alice@callvault.test") { state } }`, {}, await tokenFor("alice@callvault.test"));
    expect(alice.data?.agentRecordingStatus.state).toBe("RECORDING");

    const available = await t.app.services.dataSource.query("SELECT id FROM recordings WHERE state = 'AVAILABLE'");
    expect(available.length).toBeGreaterThanOrEqual(3);
    const compliance = await tokenFor("compliance@callvault.test");
    const issued = await gql(t.url, `mutation($id: ID!) { createRecordingDownload(recordingId: $id) { url sizeBytes } }`, { id: available[0].id }, compliance);
    const response = await fetch(issued.data?.createRecordingDownload.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("audio/mpeg");
    expect((await response.arrayBuffer()).byteLength).toBe(issued.data?.createRecordingDownload.sizeBytes);
  });

  it("is audited like everything else, and the chain verifies", async () => {
    expect(await t.app.services.audit.verify()).toMatchObject({ valid: true });
  });
});
