/**
 * Killing the process mid-call and mid-delete leaves no orphan files, no dangling rows, one audit entry per
 * action. The real service runs as its own process (test/support/app-process.ts) and is killed with SIGKILL,
 * then started again on the same data directory and database; what it left behind is read from disk, the
 * database and the GraphQL API.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DataSource } from "typeorm";
import { TokenService } from "../src/auth/token.service";
import { openDataSource } from "../src/database/data-source";
import { loadMasterKey } from "../src/recording-media/master-key-file";
import { MediaStatus, RecordingMediaEntity } from "../src/recording-media/recording-media.entity";
import { RecordingMediaService } from "../src/recording-media/recording-media.service";
import { RecordingEntity } from "../src/recordings/recording.entity";
import { FilesystemObjectStore } from "../src/storage/filesystem-object-store";
import { UserEntity } from "../src/users/user.entity";
import { interleave, trackFrames } from "./media/support/synthetic-call";
import { AppProcess, buildApp, serviceDatabase } from "./support/app-process";
import { gql } from "./support/graphql-client";
import { createTestDatabase, TestDatabase } from "./support/test-database";
import { TwilioStreamClient } from "./support/twilio-stream-client";

const JWT_SECRET = "crash-safety-test-secret-long-enough-for-hs256";
const FRAME_MS = 20;

let database: TestDatabase;
let dataDir: string;
let service: AppProcess;
/** The test's own connection, to see the rows the service left behind. */
let db: DataSource;
let gatewayToken: string;
let complianceToken: string;
let customerId: string;
const agentIds: string[] = [];

const mediaDir = () => path.join(dataDir, "media");
const uploadsDir = () => path.join(mediaDir(), "uploads");
const objectsDir = () => path.join(mediaDir(), "objects");

async function api<T = any>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const response = await gql<T>(service.url, query, variables, token);
  if (response.errors) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  return response.data as T;
}

/** Crash (if still running) and start again on the same data directory and database. */
async function restart(env: Record<string, string> = {}): Promise<void> {
  await service.kill();
  service = await AppProcess.start({ dataDir, database, jwtSecret: JWT_SECRET, env });
}

/** Files under a directory as slash-separated relative paths, sorted; [] when it does not exist. */
function filesUnder(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

/** Header (20 bytes) and one sealed 8 KiB ingest segment (+16-byte tag). */
const MIN_DURABLE_UPLOAD_BYTES = 20 + 8192 + 16;
const uploadBytes = () => filesUnder(uploadsDir()).reduce((sum, file) => sum + fs.statSync(path.join(uploadsDir(), file)).size, 0);

const mediaRow = (recordingId: string) => db.getRepository(RecordingMediaEntity).findOneBy({ recordingId });

const START_CALL = `mutation($input: StartCallInput!) { startCall(input: $input) { call { id } recording { id state } } }`;
const END_CALL = `mutation($callId: ID!) { endCall(callId: $callId) { call { status } recording { id state } } }`;
const RECORDING = `query($id: ID!) { recording(id: $id) { id state timelineText sha256 sizeBytes deletion { reason deletedById } } }`;
const DELETE = `mutation($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId deletedAt reason mp3Sha256 } }`;

async function startCall(agentId: string): Promise<{ callId: string; recordingId: string }> {
  const { startCall } = await api(START_CALL, { input: { customerId, agentId } }, gatewayToken);
  return { callId: startCall.call.id, recordingId: startCall.recording.id };
}

/** A whole call: one second of tone streamed over the media WebSocket, stopped, and the call ended. */
async function recordCall(agentId: string): Promise<{ callId: string; recordingId: string }> {
  const call = await startCall(agentId);
  const stream = await TwilioStreamClient.connect(service.url, TwilioStreamClient.bearer(gatewayToken));
  stream.start({ callId: call.callId });
  const tone = [{ fromMs: 0, toMs: 1000, frequencyHz: 440, amplitude: 8000 }];
  stream.sendFrames(interleave(trackFrames("inbound", 1000, tone), trackFrames("outbound", 1000, [])));
  stream.stop();
  expect((await stream.closed).code).toBe(1000);
  const { endCall } = await api(END_CALL, { callId: call.callId }, gatewayToken);
  expect(endCall.recording.state).toBe("AVAILABLE");
  return call;
}

/**
 * Streams a call's audio in real time (both tracks, a frame every 20 ms) and SIGKILLs the service mid-stream,
 * once its ingest is under way: a WRITING row and an upload on disk.
 */
async function killMidStream(callId: string, recordingId: string): Promise<void> {
  const stream = await TwilioStreamClient.connect(service.url, TwilioStreamClient.bearer(gatewayToken));
  stream.start({ callId });
  const frames = interleave(trackFrames("inbound", 30_000, [{ fromMs: 0, toMs: 30_000, frequencyHz: 440, amplitude: 8000 }]), trackFrames("outbound", 30_000, []));
  let next = 0;
  const pacer = setInterval(() => {
    stream.sendFrames(frames.slice(next, next + 2));
    next += 2;
  }, FRAME_MS);
  try {
    const deadline = Date.now() + 15_000;
    // Until the upload holds at least one sealed segment: audio from before the crash that a restart can keep.
    while (next < 1500 / FRAME_MS || (await mediaRow(recordingId))?.status !== MediaStatus.WRITING || uploadBytes() < MIN_DURABLE_UPLOAD_BYTES) {
      if (Date.now() > deadline) throw new Error("the ingest never started");
      await sleep(50);
    }
    expect(await service.kill()).toEqual({ code: null, signal: "SIGKILL" });
  } finally {
    clearInterval(pacer);
    stream.terminate();
  }
  // What the crash left: a half-written upload and a WRITING row whose heartbeat nobody renews.
  expect(filesUnder(uploadsDir())).toEqual([expect.stringMatching(/\.part$/)]);
  expect((await mediaRow(recordingId))?.status).toBe(MediaStatus.WRITING);
}

async function auditActionsOn(targetId: string): Promise<string[]> {
  const { auditLog } = await api(`query($filter: AuditFilterInput) { auditLog(first: 100, filter: $filter) { edges { node { action } } } }`, { filter: { targetId } }, complianceToken);
  return auditLog.edges.map((edge: { node: { action: string } }) => edge.node.action).sort();
}

/** Storage and rows agree: no upload left, no WRITING row, exactly the STORED rows' objects on disk, a valid audit chain. */
async function expectConsistentState(): Promise<void> {
  expect(filesUnder(uploadsDir())).toEqual([]);
  const rows = await db.getRepository(RecordingMediaEntity).find();
  expect(rows.filter((row) => row.status === MediaStatus.WRITING)).toEqual([]);
  expect(filesUnder(objectsDir())).toEqual(rows.filter((row) => row.status === MediaStatus.STORED).map((row) => row.objectKey).sort());
  for (const row of rows.filter((r) => r.status === MediaStatus.SHREDDED)) expect(row.wrappedKey).toBeNull();
  const { verifyAuditChain } = await api(`{ verifyAuditChain { valid checkedEntries firstInvalidPosition } }`, {}, complianceToken);
  expect(verifyAuditChain).toMatchObject({ valid: true, firstInvalidPosition: null });
}

beforeAll(async () => {
  await buildApp();
  database = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-crash-"));
  // The demo seed is the only way in through the API: it creates the first administrator.
  service = await AppProcess.start({ dataDir, database, jwtSecret: JWT_SECRET, env: { SEED_DEMO: "true" } });
  db = await openDataSource(serviceDatabase(database, dataDir));
  const tokens = TokenService.create({ mode: "secret", secret: JWT_SECRET, issuer: "callvault", audience: "callvault" }, dataDir);
  const admin = await db.getRepository(UserEntity).findOneByOrFail({ email: "admin@callvault.test" });
  const adminToken = await tokens.mint(admin.id);
  const createUser = async (email: string, roles: string[]) =>
    (await api(`mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { email, displayName: email, roles } }, adminToken)).createUser.id as string;
  gatewayToken = await tokens.mint(await createUser("gateway@crash.test", ["API_USER"]));
  complianceToken = await tokens.mint(await createUser("compliance@crash.test", ["COMPLIANCE_ADMINISTRATOR"]));
  for (let i = 0; i < 4; i++) agentIds.push(await createUser(`agent-${i}@crash.test`, ["AGENT"]));
  customerId = (await api(`mutation { createCustomer(input: { name: "Crash Customer" }) { id } }`, {}, gatewayToken)).createCustomer.id;
}, 60_000);

afterAll(async () => {
  await service?.kill();
  await db?.destroy();
  await database?.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("crash safety of the real service process", () => {
  it("a process killed while idle loses no committed recording", async () => {
    const { recordingId } = await recordCall(agentIds[0]);
    const before = (await api(RECORDING, { id: recordingId }, complianceToken)).recording;

    expect(await service.kill()).toEqual({ code: null, signal: "SIGKILL" });
    await restart();

    const row = await mediaRow(recordingId);
    expect(row).toMatchObject({ status: MediaStatus.STORED, sizeBytes: before.sizeBytes, sha256: before.sha256 });
    expect(fs.existsSync(path.join(objectsDir(), row!.objectKey))).toBe(true);
    expect((await api(RECORDING, { id: recordingId }, complianceToken)).recording).toMatchObject({ state: "AVAILABLE", sha256: before.sha256 });
    // Still decrypts with the key in the row and the master key in the data directory, to the very same MP3.
    const media = new RecordingMediaService(db, new FilesystemObjectStore(mediaDir()), loadMasterKey(undefined, dataDir));
    const mp3 = await (await media.openAudio(recordingId)).reader.readAll();
    expect(mp3.length).toBe(before.sizeBytes);
    expect(createHash("sha256").update(mp3).digest("hex")).toBe(before.sha256);
    await expectConsistentState();
  }, 30_000);

  it("a call killed mid-stream keeps the audio stored before the crash: the upload waits for the gateway, and ending the call makes it the recording", async () => {
    const { callId, recordingId } = await startCall(agentIds[1]);
    await killMidStream(callId, recordingId);

    await restart();
    // Kept for a reconnecting gateway (resumable ingest) while the call is live.
    expect(filesUnder(uploadsDir())).toEqual([expect.stringMatching(/\.part$/)]);
    expect((await mediaRow(recordingId))?.status).toBe(MediaStatus.WRITING);
    expect((await api(RECORDING, { id: recordingId }, complianceToken)).recording.state).toBe("RECORDING");

    const { endCall } = await api(END_CALL, { callId }, gatewayToken);
    expect(endCall).toMatchObject({ call: { status: "ENDED" }, recording: { state: "AVAILABLE" } });
    const row = await mediaRow(recordingId);
    expect(row).toMatchObject({ status: MediaStatus.STORED, uploadId: null });
    // Whole MP3 frames only (288 bytes at 32 kbps, 8 kHz), about as long as what was sealed before the kill.
    expect(row!.sizeBytes! % 288).toBe(0);
    expect(row!.durationMs).toBeGreaterThanOrEqual(2000);
    const recording = (await api(RECORDING, { id: recordingId }, complianceToken)).recording;
    expect(recording).toMatchObject({ state: "AVAILABLE", sha256: row!.sha256, sizeBytes: row!.sizeBytes });
    expect(await auditActionsOn(callId)).toEqual(["CALL_ENDED", "CALL_STARTED"]);
    await expectConsistentState();
  }, 40_000);

  it("a delete killed between its commit and the object's removal leaves a tombstone, a destroyed key, one audit entry and, after restart, no object", async () => {
    await restart({ CALLVAULT_FAULT: "crash-after-delete-commit" });
    const { recordingId } = await recordCall(agentIds[2]);
    const objectFile = path.join(objectsDir(), (await mediaRow(recordingId))!.objectKey);
    expect(fs.existsSync(objectFile)).toBe(true);

    const input = { recordingId, reason: "customer asked for erasure" };
    await expect(gql(service.url, DELETE, { input }, complianceToken)).rejects.toThrow();
    expect(await service.exited).toEqual({ code: null, signal: "SIGKILL" });
    // Killed after the commit: the deletion and the destroyed key are durable, the object is still on disk.
    expect(fs.existsSync(objectFile)).toBe(true);
    expect(await mediaRow(recordingId)).toMatchObject({ status: MediaStatus.SHREDDED, wrappedKey: null });
    expect(await db.getRepository(RecordingEntity).findOneBy({ id: recordingId })).toMatchObject({ state: "DELETED", deletionReason: input.reason });

    await restart();
    expect(fs.existsSync(objectFile)).toBe(false);
    expect((await api(RECORDING, { id: recordingId }, complianceToken)).recording).toMatchObject({
      state: "DELETED",
      timelineText: "Recording has been deleted",
      deletion: { reason: input.reason },
    });
    expect(await auditActionsOn(recordingId)).toEqual(["RECORDING_DELETED"]);
    // Deleting again answers with the same tombstone and audits nothing new.
    const again = (await api(DELETE, { input: { recordingId, reason: "again" } }, complianceToken)).deleteRecording;
    expect(again).toMatchObject({ recordingId, reason: input.reason });
    expect(await auditActionsOn(recordingId)).toEqual(["RECORDING_DELETED"]);
    await expectConsistentState();
  }, 30_000);

  describe("a call killed mid-stream and restarted at once", () => {
    let call: { callId: string; recordingId: string };

    it("keeps the upload at startup and the call's audit trail intact", async () => {
      call = await startCall(agentIds[3]);
      await killMidStream(call.callId, call.recordingId);
      await restart();
      expect(filesUnder(uploadsDir())).toHaveLength(1);
      expect(await auditActionsOn(call.callId)).toEqual(["CALL_STARTED"]);
    }, 40_000);

    // A single instance (no REDIS_URL) knows at startup that every other instance id is a dead process of its
    // own: a reconnect resumes that process's ingest at once instead of after the liveness threshold.
    it("lets a reconnecting gateway resume the call's audio", async () => {
      const stream = await TwilioStreamClient.connect(service.url, TwilioStreamClient.bearer(gatewayToken));
      stream.start({ callId: call.callId });
      stream.sendFrames(interleave(trackFrames("inbound", 500, []), trackFrames("outbound", 500, [])));
      stream.stop();
      expect(await stream.closed).toEqual({ code: 1000, reason: "stream stopped" });
    });

    it("settles the recording as soon as the call ends", async () => {
      const { endCall } = await api(END_CALL, { callId: call.callId }, gatewayToken);
      expect(endCall.recording.state).toBe("AVAILABLE");
      expect((await mediaRow(call.recordingId))?.status).toBe(MediaStatus.STORED);
      await expectConsistentState();
    });
  });
});
