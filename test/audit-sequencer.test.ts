import { createConnection } from "mysql2/promise";
import { AuditEntryEntity } from "../src/audit/audit-entry.entity";
import { Role } from "../src/auth/role";
import { gql } from "./support/graphql-client";
import { createScenario, PAUSE, RESUME, Scenario, startCall, startScenarioApp } from "./support/scenario";
import { startTestApp, TestApp } from "./support/test-app";

/** The audit chain without a global lock: requests insert, the sequencer chains, reads see their own writes. */

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

const VERIFY = /* GraphQL */ `{ verifyAuditChain { valid checkedEntries firstInvalidPosition unchainedEntries } }`;
const LATEST = /* GraphQL */ `{ auditLog(first: 1) { edges { node { position action targetId hash } } } }`;
const CREATE_CUSTOMER = /* GraphQL */ `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }`;
const mysqlOnly = process.env.TEST_DATABASE === "sqlite" ? it.skip : it;

describe("the audit sequencer", () => {
  it("chains what a request wrote before a read of the log returns, and the head follows the chain", async () => {
    const { recordingId, callId } = await startCall(t, s);
    await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token);
    const latest = (await gql(t.url, LATEST, {}, s.compliance.token)).data?.auditLog.edges[0].node;
    expect(latest).toMatchObject({ action: "RECORDING_PAUSED", targetId: recordingId });
    expect(await t.app.services.audit.head()).toEqual({ position: latest.position, hash: latest.hash });
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
  });

  mysqlOnly("lets requests commit while the head row is held, and verify reports what is left unchained", async () => {
    const database = t.database.config as { url: string };
    const holder = await createConnection(database.url);
    try {
      await holder.query("START TRANSACTION");
      await holder.query("SELECT * FROM audit_head WHERE id = 1 FOR UPDATE");
      const { recordingId, callId } = await startCall(t, s);
      const started = Date.now();
      for (let i = 0; i < 3; i++) {
        expect((await gql(t.url, PAUSE, { input: { recordingId } }, s.agent.token)).errors).toBeUndefined();
        expect((await gql(t.url, RESUME, { input: { recordingId } }, s.agent.token)).errors).toBeUndefined();
      }
      // Six transitions and a call start, none waiting for the head: well under one lock wait.
      expect(Date.now() - started).toBeLessThan(5000);
      const stuck = (await gql(t.url, VERIFY, {}, s.compliance.token)).data?.verifyAuditChain;
      expect(stuck).toMatchObject({ valid: true, firstInvalidPosition: null });
      expect(stuck.unchainedEntries).toBeGreaterThanOrEqual(7);

      await holder.query("COMMIT");
      const after = (await gql(t.url, VERIFY, {}, s.compliance.token)).data?.verifyAuditChain;
      expect(after).toEqual({ valid: true, checkedEntries: stuck.checkedEntries + stuck.unchainedEntries, firstInvalidPosition: null, unchainedEntries: 0 });
      await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
    } finally {
      await holder.end();
    }
  });

  it("chains entries from two instances on one database into one gap-free chain", async () => {
    const second = await startTestApp({ shareDatabaseWith: t });
    try {
      const apiUser = await second.user([Role.API_USER], "second-instance");
      const writes = Array.from({ length: 40 }, (_, i) =>
        gql(i % 2 ? t.url : second.url, CREATE_CUSTOMER, { input: { name: `Two instances ${i}` } }, i % 2 ? s.apiUser.token : apiUser.token),
      );
      for (const result of await Promise.all(writes)) expect(result.errors).toBeUndefined();
      await Promise.all([t.app.services.audit.flush(), second.app.services.audit.flush()]);
      const rows = await t.app.services.dataSource.getRepository(AuditEntryEntity).find({ order: { position: "ASC" } });
      expect(rows.map((r) => r.position)).toEqual(rows.map((_, i) => i + 1));
      const verified = await t.app.services.audit.verify();
      expect(verified).toEqual({ valid: true, checkedEntries: rows.length, firstInvalidPosition: null, unchainedEntries: 0 });
    } finally {
      await second.close();
    }
  });

  it("re-chains an entry whose position was erased at the end, and verify finds the hole it left", async () => {
    const app = await startTestApp();
    try {
      const scenario = await createScenario(app);
      for (let i = 0; i < 3; i++) await gql(app.url, CREATE_CUSTOMER, { input: { name: `C${i}` } }, scenario.apiUser.token);
      await app.app.services.audit.flush();
      const before = await app.app.services.audit.verify();
      await app.app.services.dataSource.query("UPDATE audit_entries SET position = NULL, prevHash = NULL, hash = NULL WHERE position = ?", [2]);
      expect(await app.app.services.audit.verify()).toEqual({ valid: false, checkedEntries: 1, firstInvalidPosition: 2, unchainedEntries: 0 });
      expect(before.valid).toBe(true);
    } finally {
      await app.close();
    }
  });
});
