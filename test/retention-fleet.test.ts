/**
 * The retention job across a fleet of real service processes on one database and data directory: an
 * instance killed in the middle of a batch loses that batch's work (rolled back, nothing half-deleted), and
 * two instances running the job afterwards expire every remaining recording exactly once.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DataSource } from "typeorm";
import { AuditEntryEntity } from "../src/audit/audit-entry.entity";
import { TokenService } from "../src/auth/token.service";
import { openDataSource } from "../src/database/data-source";
import { MediaStatus, RecordingMediaEntity } from "../src/recording-media/recording-media.entity";
import { RecordingEntity } from "../src/recordings/recording.entity";
import { RetentionRunEntity } from "../src/retention/retention-run.entity";
import { UserEntity } from "../src/users/user.entity";
import { interleave, trackFrames } from "./media/support/synthetic-call";
import { AppProcess, buildApp, serviceDatabase } from "./support/app-process";
import { gql } from "./support/graphql-client";
import { createTestDatabase, TestDatabase } from "./support/test-database";
import { TwilioStreamClient } from "./support/twilio-stream-client";

const JWT_SECRET = "retention-fleet-test-secret-long-enough-for-hs256";
const RECORDINGS = 6;
const FLEET_ENV = { RETENTION_INTERVAL_SECONDS: "1", RETENTION_BATCH_SIZE: "2" };

let database: TestDatabase;
let dataDir: string;
let db: DataSource;
const processes: AppProcess[] = [];
let gatewayToken: string;
let complianceToken: string;
let customerId: string;
const recordingIds: string[] = [];

async function api<T = any>(service: AppProcess, query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const response = await gql<T>(service.url, query, variables, token);
  if (response.errors) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  return response.data as T;
}

async function start(env: Record<string, string>): Promise<AppProcess> {
  const service = await AppProcess.start({ dataDir, database, jwtSecret: JWT_SECRET, env });
  processes.push(service);
  return service;
}

async function recordCall(service: AppProcess, agentId: string): Promise<string> {
  const { startCall } = await api(service, `mutation($input: StartCallInput!) { startCall(input: $input) { call { id } recording { id } } }`, { input: { customerId, agentId } }, gatewayToken);
  const stream = await TwilioStreamClient.connect(service.url, TwilioStreamClient.bearer(gatewayToken));
  stream.start({ callId: startCall.call.id });
  stream.sendFrames(interleave(trackFrames("inbound", 200, [{ fromMs: 0, toMs: 200, frequencyHz: 440, amplitude: 8000 }]), trackFrames("outbound", 200, [])));
  stream.stop();
  expect((await stream.closed).code).toBe(1000);
  const { endCall } = await api(service, `mutation($callId: ID!) { endCall(callId: $callId) { recording { state } } }`, { callId: startCall.call.id }, gatewayToken);
  expect(endCall.recording.state).toBe("AVAILABLE");
  return startCall.recording.id;
}

const states = async () => (await db.getRepository(RecordingEntity).findBy(recordingIds.map((id) => ({ id })))).map((r) => r.state);
const expiredEntries = () => db.getRepository(AuditEntryEntity).findBy({ action: "RECORDING_EXPIRED" });

beforeAll(async () => {
  await buildApp();
  database = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-retention-fleet-"));
  // The demo seed creates the first administrator (and demo customers with no retention policy: kept).
  const seeder = await start({ SEED_DEMO: "true" });
  db = await openDataSource(serviceDatabase(database, dataDir));
  const tokens = TokenService.create({ mode: "secret", secret: JWT_SECRET, issuer: "callvault", audience: "callvault" }, dataDir);
  const admin = await db.getRepository(UserEntity).findOneByOrFail({ email: "admin@callvault.test" });
  const adminToken = await tokens.mint(admin.id);
  const createUser = async (email: string, roles: string[]) =>
    (await api(seeder, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { email, displayName: email, roles } }, adminToken)).createUser.id as string;
  gatewayToken = await tokens.mint(await createUser("gateway@fleet.test", ["API_USER"]));
  complianceToken = await tokens.mint(await createUser("compliance@fleet.test", ["COMPLIANCE_ADMINISTRATOR"]));
  const agentId = await createUser("agent@fleet.test", ["AGENT"]);
  customerId = (await api(seeder, `mutation { createCustomer(input: { name: "Fleet Customer" }) { id } }`, {}, gatewayToken)).createCustomer.id;
  for (let i = 0; i < RECORDINGS; i++) recordingIds.push(await recordCall(seeder, agentId));
  for (const [i, id] of recordingIds.entries()) await db.getRepository(RecordingEntity).update({ id }, { startedAt: new Date(Date.now() - (3 + i) * 86_400_000) });
  await api(seeder, `mutation { setRetentionPolicy(input: { customerId: "${customerId}", days: 2 }) { days } }`, {}, complianceToken);
  await seeder.stop();
}, 90_000);

afterAll(async () => {
  for (const service of processes) await service.kill();
  await db?.destroy();
  await database?.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("retention across instances", () => {
  it("an instance killed mid-batch deletes nothing of that batch; two instances then expire every recording exactly once", async () => {
    const doomed = await start({ ...FLEET_ENV, CALLVAULT_FAULT: "crash-mid-retention-batch" });
    const exit = await Promise.race([doomed.exited, sleep(15_000).then(() => "timeout" as const)]);
    expect(exit).toEqual({ code: null, signal: "SIGKILL" });
    // Killed inside the first batch's transaction, after one recording: rolled back whole.
    expect(await states()).toEqual(Array(RECORDINGS).fill("AVAILABLE"));
    expect(await expiredEntries()).toEqual([]);
    expect((await db.getRepository(RecordingMediaEntity).findBy({ status: MediaStatus.SHREDDED })).length).toBe(0);
    expect((await db.getRepository(RetentionRunEntity).find()).map((run) => run.status)).toEqual(["RUNNING"]);

    const [first, second] = [await start(FLEET_ENV), await start(FLEET_ENV)];
    const deadline = Date.now() + 20_000;
    while ((await states()).some((state) => state !== "DELETED") && Date.now() < deadline) await sleep(200);
    expect(await states()).toEqual(Array(RECORDINGS).fill("DELETED"));
    await sleep(2500); // both instances keep ticking: nothing is expired again

    const entries = await expiredEntries();
    expect(entries.map((entry) => entry.targetId).sort()).toEqual([...recordingIds].sort());
    for (const entry of entries) expect(entry.details).toMatchObject({ reason: "Retention: 2 days", policy: { days: 2, customerId } });
    const media = await db.getRepository(RecordingMediaEntity).findBy(recordingIds.map((recordingId) => ({ recordingId })));
    expect(media.map((row) => [row.status, row.wrappedKey])).toEqual(Array(RECORDINGS).fill([MediaStatus.SHREDDED, null]));
    for (const row of media) expect(fs.existsSync(path.join(dataDir, "media", "objects", ...row.objectKey.split("/")))).toBe(false);

    const runs = await db.getRepository(RetentionRunEntity).find({ order: { startedAt: "ASC" } });
    expect(runs[0].status).toBe("INTERRUPTED");
    expect(runs.reduce((sum, run) => sum + run.expired, 0)).toBe(RECORDINGS);
    // The demo seed's recordings have no policy: kept.
    expect(await db.getRepository(RecordingEntity).countBy({ state: "AVAILABLE" as never })).toBeGreaterThan(0);
    const { verifyAuditChain } = await api(first, `{ verifyAuditChain { valid } }`, {}, complianceToken);
    expect(verifyAuditChain.valid).toBe(true);
    expect(first.running && second.running).toBe(true);
  }, 60_000);
});
