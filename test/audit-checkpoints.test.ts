import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AuditCheckpointSigner, verifyCheckpointSignature } from "../src/audit/audit-checkpoint-signer";
import { AuditChainBrokenError } from "../src/audit/audit-checkpoint.service";
import { AuditExportVerifier } from "../src/audit/audit-export-verifier";
import { buildCli, runCli } from "./support/cli-build";
import { gql } from "./support/graphql-client";
import { startScenarioApp, Scenario } from "./support/scenario";
import { startTestApp, TestApp } from "./support/test-app";

/** Signed checkpoints of the audit head: truncation detected online, and an export verified offline. */

let t: TestApp;
let s: Scenario;
let dir: string;

beforeAll(async () => {
  ({ t, s } = await startScenarioApp());
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-audit-export-"));
});
afterAll(async () => {
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const VERIFY = /* GraphQL */ `
  query { verifyAuditChain { valid checkedEntries firstInvalidPosition truncated checkpointVerified latestCheckpoint { position hash } } }
`;
const CHECKPOINTS = /* GraphQL */ `
  query($first: Int!) { auditCheckpoints(first: $first) { position hash signedAt algorithm keyId signature publicKey } }
`;

/** Appends audited actions (customers created) so the chain grows. */
async function audited(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await t.app.services.customers.create(s.apiUser.viewer, "test", `Checkpoint Customer ${i}`);
}

async function headPosition(): Promise<number> {
  return (await t.app.services.audit.list(1, undefined, {})).entries[0].position;
}

async function exportLog(token = s.compliance.token): Promise<{ status: number; body: string; type: string | null }> {
  const response = await fetch(`${t.url.replace(/\/graphql$/, "")}/audit/export.ndjson`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: await response.text(), type: response.headers.get("content-type") };
}

function verifyOffline(body: string, publicKey?: Buffer) {
  const verifier = new AuditExportVerifier(publicKey);
  for (const line of body.split("\n")) verifier.accept(line);
  return verifier.finish();
}

describe("checkpoints", () => {
  it("signs the head with Ed25519; the signature verifies with the published key, and nothing new means no new checkpoint", async () => {
    await audited(2);
    const head = await headPosition();
    const checkpoint = await t.app.services.auditCheckpoints.checkpoint();
    expect(checkpoint).toMatchObject({ position: head, algorithm: "Ed25519" });
    expect(await t.app.services.auditCheckpoints.checkpoint()).toBeNull();

    const listed = await gql(t.url, CHECKPOINTS, { first: 5 }, s.compliance.token);
    expect(listed.errors).toBeUndefined();
    const [published] = listed.data!.auditCheckpoints;
    expect(published).toMatchObject({ position: head, hash: checkpoint!.hash, keyId: checkpoint!.keyId });
    const publicKey = Buffer.from(published.publicKey, "base64");
    expect(verifyCheckpointSignature(published, publicKey)).toBe(true);
    expect(verifyCheckpointSignature({ ...published, position: published.position - 1 }, publicKey)).toBe(false);
    expect(verifyCheckpointSignature(published, AuditCheckpointSigner.fromSeed(Buffer.alloc(32, 7)).publicKeyRaw)).toBe(false);
  });

  it("derives the key from the master key (a restart signs with the same key), or uses the configured seed", async () => {
    const restarted = await startTestApp({ shareDatabaseWith: t, dataDir: t.app.config.dataDir });
    try {
      expect(restarted.app.services.auditCheckpoints.signer.keyId).toBe(t.app.services.auditCheckpoints.signer.keyId);
    } finally {
      await restarted.close();
    }
    const seed = Buffer.alloc(32, 9).toString("base64");
    const configured = await startTestApp({ compliance: { auditCheckpointKey: seed } });
    try {
      expect(configured.app.services.auditCheckpoints.signer.keyId).toBe(AuditCheckpointSigner.fromSeed(Buffer.from(seed, "base64")).keyId);
      expect(configured.app.services.auditCheckpoints.signer.keyId).not.toBe(t.app.services.auditCheckpoints.signer.keyId);
    } finally {
      await configured.close();
    }
  });

  it("are made periodically by the fleet job", async () => {
    const quick = await startTestApp({ compliance: { auditCheckpointIntervalSeconds: 1 } });
    try {
      await quick.app.services.customers.create(undefined, "test", "Periodic");
      const deadline = Date.now() + 5000;
      while (!(await quick.app.services.auditCheckpoints.latest()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect((await quick.app.services.auditCheckpoints.latest())?.position).toBe((await quick.app.services.audit.list(1, undefined, {})).entries[0].position);
    } finally {
      await quick.close();
    }
  });
});

describe("the NDJSON export", () => {
  it("holds every entry and checkpoint, and verifies offline with the CLI; a flipped byte does not", async () => {
    await audited(3);
    await t.app.services.auditCheckpoints.checkpoint();
    await audited(2); // entries after the latest checkpoint are exported too
    const exported = await exportLog();
    expect(exported.status).toBe(200);
    expect(exported.type).toMatch(/^application\/x-ndjson/);
    const lines = exported.body.trim().split("\n").map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ type: "header", format: "callvault-audit-export" });
    expect(lines.filter((l) => l.type === "entry").map((l) => l.position)).toEqual(Array.from({ length: lines[0].entries }, (_, i) => i + 1));
    expect(lines.filter((l) => l.type === "checkpoint").length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toMatchObject({ type: "end" });

    const file = path.join(dir, "export.ndjson");
    fs.writeFileSync(file, exported.body);
    const cli = await buildCli("src/cli/audit-verify.ts");
    const publicKey = t.app.services.auditCheckpoints.signer.publicKeyBase64;
    const ok = await runCli(cli, [file, "--public-key", publicKey]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout.slice(0, ok.stdout.lastIndexOf("}") + 1))).toMatchObject({ valid: true, problems: [], keyFromExport: false });

    // Flip one byte inside an entry's details: its hash no longer matches.
    const entryLine = exported.body.indexOf('"type":"entry"');
    const at = exported.body.indexOf("Checkpoint Customer", entryLine) + "Checkpoint ".length;
    const flipped = Buffer.from(exported.body);
    flipped[at] ^= 0x01;
    const flippedFile = path.join(dir, "flipped.ndjson");
    fs.writeFileSync(flippedFile, flipped);
    const bad = await runCli(cli, [flippedFile, "--public-key", publicKey]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("INVALID");
  });

  it.each([
    ["a flipped byte in every position of a checkpoint line", "checkpoint"],
    ["a flipped byte in every position of an entry line", "entry"],
  ])("detects %s", async (_label, type) => {
    await audited(1);
    await t.app.services.auditCheckpoints.checkpoint();
    const { body } = await exportLog();
    const publicKey = t.app.services.auditCheckpoints.signer.publicKeyRaw;
    expect(verifyOffline(body, publicKey).valid).toBe(true);
    const lines = body.split("\n");
    const index = lines.findIndex((line) => line.includes(`"type":"${type}"`));
    const original = lines[index];
    let undetected = 0;
    for (let i = 0; i < original.length; i++) {
      const bytes = Buffer.from(original);
      bytes[i] ^= 0x01;
      lines[index] = bytes.toString("latin1");
      if (verifyOffline(lines.join("\n"), publicKey).valid) undetected++;
    }
    lines[index] = original;
    expect(undetected).toBe(0);
  });

  it("is refused without the audit permission", async () => {
    expect((await exportLog(s.manager.token)).status).toBe(403);
    expect((await exportLog("")).status).toBe(401);
    expect((await exportLog("not-a-token")).status).toBe(401);
  });

  it("refuses a cut-off export and one checked against another key", async () => {
    const { body } = await exportLog();
    const cut = body.trim().split("\n").slice(0, -2).join("\n");
    expect(verifyOffline(cut, t.app.services.auditCheckpoints.signer.publicKeyRaw)).toMatchObject({ valid: false });
    expect(verifyOffline(body, AuditCheckpointSigner.fromSeed(Buffer.alloc(32, 3)).publicKeyRaw).valid).toBe(false);
  });
});

describe("an entry edited between checkpoints", () => {
  it("stops the next checkpoint at that entry: the walk since the last one (on its own thread) re-hashes every entry", async () => {
    await audited(2);
    const previous = (await t.app.services.auditCheckpoints.checkpoint())!;
    await audited(5);
    // Chained by the sequencer once committed: the head waits for it.
    expect((await t.app.services.audit.head()).position).toBeGreaterThanOrEqual(previous.position + 5);
    const edited = previous.position + 3;
    const [row] = await t.app.services.dataSource.query(`SELECT details FROM audit_entries WHERE position = ${edited}`);
    await t.app.services.dataSource.query(`UPDATE audit_entries SET details = '{"name":"edited"}' WHERE position = ${edited}`);
    try {
      const refused = await t.app.services.auditCheckpoints.checkpoint().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(AuditChainBrokenError);
      expect((refused as AuditChainBrokenError).position).toBe(edited);
      expect((await t.app.services.auditCheckpoints.latest())!.position).toBe(previous.position);
    } finally {
      await t.app.services.dataSource.query(`UPDATE audit_entries SET details = ? WHERE position = ${edited}`, [row.details]);
    }
    expect((await t.app.services.auditCheckpoints.checkpoint())!.position).toBeGreaterThan(previous.position);
  });
});

describe("truncation", () => {
  it("deleting the newest entries and rewinding the head is detected against the latest checkpoint, online and in the export", async () => {
    await audited(3);
    const checkpoint = (await t.app.services.auditCheckpoints.checkpoint())!;
    expect((await gql(t.url, VERIFY, {}, s.compliance.token)).data!.verifyAuditChain).toMatchObject({ valid: true, truncated: false, checkpointVerified: true });

    // The attacker removes the two newest entries and rewinds the head so the chain itself is consistent.
    const keep = checkpoint.position - 2;
    const [kept] = await t.app.services.dataSource.query(`SELECT hash FROM audit_entries WHERE position = ${keep}`);
    await t.app.services.dataSource.query(`DELETE FROM audit_entries WHERE position > ${keep}`);
    await t.app.services.dataSource.query(`UPDATE audit_head SET position = ${keep}, hash = '${kept.hash}'`);
    expect(await t.app.services.audit.verify()).toMatchObject({ valid: true }); // the bare chain cannot tell

    const verified = (await gql(t.url, VERIFY, {}, s.compliance.token)).data!.verifyAuditChain;
    expect(verified).toMatchObject({ valid: false, truncated: true, checkedEntries: keep, firstInvalidPosition: keep + 1, latestCheckpoint: { position: checkpoint.position } });

    const offline = verifyOffline((await exportLog()).body, t.app.services.auditCheckpoints.signer.publicKeyRaw);
    expect(offline.valid).toBe(false);
    expect(offline.problems.join("\n")).toMatch(/truncated/);

    // Nor is a new checkpoint signed over the rewound chain.
    await audited(3);
    await expect(t.app.services.auditCheckpoints.checkpoint()).rejects.toThrow(/does not verify/);
    expect((await gql(t.url, VERIFY, {}, s.compliance.token)).data!.verifyAuditChain).toMatchObject({ valid: false, checkpointVerified: false });
  });
});
