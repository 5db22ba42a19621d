/**
 * A fleet: instances sharing one MariaDB, one Redis and one S3-compatible bucket (s3rver on port 0). Every
 * instance serves every request; an instance that dies mid-call is settled by the survivors. On SQLite
 * (one process by design) these tests are skipped.
 */
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { goertzelPower } from "../src/media/analysis/goertzel";
import { SAMPLE_RATE_HZ, SAMPLES_PER_MS } from "../src/media/media-frame";
import { MediaStatus, RecordingMediaEntity } from "../src/recording-media/recording-media.entity";
import { decodeMp3, DecodedMp3 } from "./media/support/decode-mp3";
import { DECODED_DELAY_SAMPLES } from "./media/support/mp3-timing";
import { fullTonePower, tonePower } from "./media/support/tone-measure";
import { AppProcess, buildApp } from "./support/app-process";
import { gql } from "./support/graphql-client";
import { PacedTwilioStream } from "./support/paced-stream";
import { startS3Server, TestS3Server } from "./support/s3-server";
import { Scenario, startCall, startScenarioApp } from "./support/scenario";
import { startTestApp, TEST_JWT, TestApp, TestAppOptions } from "./support/test-app";

const REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";
const MASTER_KEY = randomBytes(32).toString("base64");
const PREFIX = "fleet/";
/** Short liveness and sweep periods, so a death is noticed within seconds. */
const FLEET = { instanceStaleAfterMs: 2000, sweepIntervalMs: 1000 };
const VOICE_BEFORE_HZ = 440;
const VOICE_AFTER_HZ = 600;
const CARD_HZ = 1000;
const FULL = fullTonePower(8000);

const PAUSE = `mutation($id: ID!) { pauseRecording(input: { recordingId: $id, holdKey: "card-field" }) { state } }`;
const RESUME = `mutation($id: ID!) { resumeRecording(input: { recordingId: $id, holdKey: "card-field" }) { state } }`;
const END_CALL = `mutation($callId: ID!) { endCall(callId: $callId) { recording { state } } }`;
const STATE = `query($id: ID!) { recording(id: $id) { state } }`;
const DOWNLOAD = `mutation($id: ID!) { createRecordingDownload(recordingId: $id) { url } }`;
const REDACT = `mutation($input: RedactRecordingSegmentInput!) { redactRecordingSegment(input: $input) { mp3Sha256 } }`;
const DELETE = `mutation($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId } }`;
const TIMELINE = `query($customerId: ID!) { customerTimeline(customerId: $customerId, first: 50) { edges { node { timelineText recording { id } } } } }`;
const AUDIT = `query($id: ID) { auditLog(first: 50, filter: { targetId: $id }) { edges { node { action } } } }`;

const describeFleet = process.env.TEST_DATABASE === "sqlite" ? describe.skip : describe;

let s3: TestS3Server;
let client: S3Client;
let bucket: string;
let a: TestApp;
let b: TestApp;
let s: Scenario;
let options: TestAppOptions;

async function data<T = any>(url: string, query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const response = await gql(url, query, variables, token);
  if (response.errors) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  return response.data as T;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await sleep(100);
  }
}

async function bucketKeys(prefix = PREFIX): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key!).sort();
}

/** Storage and rows agree: the bucket holds exactly the STORED and WRITING rows' objects, and no unfinished upload. */
async function expectNoOrphans(): Promise<void> {
  const rows = await a.app.services.dataSource.getRepository(RecordingMediaEntity).find();
  const wanted = rows.filter((row) => row.status === MediaStatus.STORED).map((row) => `${PREFIX}${row.objectKey}`);
  expect(rows.filter((row) => row.status === MediaStatus.WRITING)).toEqual([]);
  expect(await bucketKeys()).toEqual(wanted.sort());
}

async function download(url: string, range?: string): Promise<Response> {
  return fetch(url, { headers: range ? { Range: range } : {} });
}

const power = (decoded: DecodedMp3, fromMs: number, toMs: number, hz: number) => tonePower(decoded.pcm, fromMs, toMs, hz, DECODED_DELAY_SAMPLES);

/** 10 ms blocks where the card tone is within 20 dB of speech. */
function audibleCard(decoded: DecodedMp3): number[] {
  const samples = 10 * SAMPLES_PER_MS;
  const found: number[] = [];
  for (let start = DECODED_DELAY_SAMPLES; start + samples <= decoded.pcm.length; start += samples) {
    if (goertzelPower(decoded.pcm.subarray(start, start + samples), SAMPLE_RATE_HZ, CARD_HZ) > 0.01 * FULL) found.push((start - DECODED_DELAY_SAMPLES) / SAMPLES_PER_MS);
  }
  return found;
}

describeFleet("a fleet of two instances on one MariaDB, Redis and bucket", () => {
  beforeAll(async () => {
    s3 = await startS3Server();
    client = s3.client();
    bucket = await s3.createBucket();
    options = { redisUrl: REDIS_URL, media: { masterKey: MASTER_KEY, store: s3.storeConfig(bucket, PREFIX) }, fleet: FLEET };
    ({ t: a, s } = await startScenarioApp(options));
    b = await startTestApp({ ...options, shareDatabaseWith: a });
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    client?.destroy();
    await s3?.close();
  });

  it("ingest on A; pause, resume, end and ranged download on B; redaction and deletion on A; B refuses and shows the tombstone; one audit chain", async () => {
    const ids = await startCall(a, s);
    let phase: "before" | "paused" | "card" | "after" = "before";
    const stream = await PacedTwilioStream.start(a.url, s.apiUser.token, ids.callId, () =>
      phase === "before" ? { outbound: VOICE_BEFORE_HZ } : phase === "card" ? { inbound: CARD_HZ } : phase === "after" ? { outbound: VOICE_AFTER_HZ } : {},
    );
    await until(async () => a.app.services.sessions.has(ids.recordingId), Boolean, "the session on A");
    await stream.playUntil(1500);

    // The agent pauses on B; A, ingesting, learns it through Redis and cuts the card number.
    phase = "paused";
    expect((await stream.playDuring(data(b.url, PAUSE, { id: ids.recordingId }, s.apiUser.token))).pauseRecording.state).toBe("PAUSED");
    await stream.playDuring(sleep(300));
    phase = "card";
    await stream.playDuring(sleep(1000));
    phase = "paused";
    await stream.playDuring(sleep(150));
    expect((await stream.playDuring(data(b.url, RESUME, { id: ids.recordingId }, s.apiUser.token))).resumeRecording.state).toBe("RECORDING");
    phase = "after";
    await stream.playDuring(sleep(1200));
    await stream.stop();

    await data(b.url, END_CALL, { callId: ids.callId }, s.apiUser.token);
    await until(() => data(b.url, STATE, { id: ids.recordingId }, s.compliance.token), (d) => d.recording.state === "AVAILABLE", "AVAILABLE");

    // Downloaded from B, which never held the audio, with and without Range.
    const { url } = (await data(b.url, DOWNLOAD, { id: ids.recordingId }, s.compliance.token)).createRecordingDownload;
    expect(new URL(url).port).toBe(new URL(b.url).port);
    const partial = await download(url, "bytes=0-287");
    expect(partial.status).toBe(206);
    expect(partial.headers.get("content-range")).toMatch(/^bytes 0-287\/\d+$/);
    expect((await partial.arrayBuffer()).byteLength).toBe(288);
    const whole = await download(url);
    expect(whole.status).toBe(200);
    const decoded = await decodeMp3(new Uint8Array(await whole.arrayBuffer()));
    expect(decoded.errors).toEqual([]);
    expect(power(decoded, 300, 1300, VOICE_BEFORE_HZ)).toBeGreaterThan(0.5 * FULL);
    expect(audibleCard(decoded)).toEqual([]);

    // Redacted and deleted on A.
    expect((await gql(a.url, REDACT, { input: { recordingId: ids.recordingId, fromSeconds: 0.2, toSeconds: 0.6, reason: "agent said a name" } }, s.compliance.token)).errors).toBeUndefined();
    expect((await gql(a.url, DELETE, { input: { recordingId: ids.recordingId, reason: "erasure request" } }, s.compliance.token)).errors).toBeUndefined();

    // B: the link it issued is refused, the timeline shows the tombstone.
    expect((await download(url)).status).toBe(410);
    const again = await gql(b.url, DOWNLOAD, { id: ids.recordingId }, s.compliance.token);
    expect(again.errors?.[0].extensions?.code).toBe("RECORDING_NOT_AVAILABLE");
    const timeline = (await data(b.url, TIMELINE, { customerId: s.customerId }, s.compliance.token)).customerTimeline.edges.map((edge: any) => edge.node);
    expect(timeline.find((node: any) => node.recording?.id === ids.recordingId)?.timelineText).toBe("Recording has been deleted");

    // One audit chain, written by both instances, verifying from either.
    const actions = (await data(b.url, AUDIT, { id: ids.recordingId }, s.compliance.token)).auditLog.edges.map((edge: any) => edge.node.action);
    expect(actions).toEqual(expect.arrayContaining(["RECORDING_PAUSED", "RECORDING_RESUMED", "RECORDING_REDACTED", "RECORDING_DELETED"]));
    for (const app of [a, b]) expect((await data(app.url, `{ verifyAuditChain { valid } }`, {}, s.compliance.token)).verifyAuditChain.valid).toBe(true);
    expect((await bucketKeys(`${PREFIX}recordings/${ids.recordingId}/`))).toEqual([]);
  }, 60_000);

  it("settles a call whose ingesting instance is SIGKILLed: the survivors keep what was stored, nothing is orphaned, and a starting instance never touches a live one's upload", async () => {
    await buildApp();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-fleet-"));
    const ingesting = await AppProcess.start({
      dataDir,
      database: a.database,
      jwtSecret: TEST_JWT.secret,
      env: {
        ...s3.env(bucket, PREFIX),
        REDIS_URL,
        MASTER_KEY,
        INSTANCE_STALE_AFTER_MS: String(FLEET.instanceStaleAfterMs),
        MEDIA_SWEEP_INTERVAL_MS: String(FLEET.sweepIntervalMs),
      },
    });
    try {
      const ids = await startCall(a, s);
      const stream = await PacedTwilioStream.start(ingesting.url, s.apiUser.token, ids.callId, () => ({ outbound: VOICE_BEFORE_HZ }));
      const media = () => a.app.services.media.find(ids.recordingId);
      const row = await stream.playDuring(until(media, (m) => m?.status === MediaStatus.WRITING, "the ingest on the child instance"));
      // Until some of the call is in the bucket: a chunk of its unfinished upload.
      const uploadPrefix = `${PREFIX}.uploads/${row!.uploadId}/`;
      await stream.playDuring(until(() => bucketKeys(uploadPrefix), (keys) => keys.length >= 1, "a chunk in the bucket"));

      // A third instance starting now sweeps at startup: the live instance's upload and row stay untouched.
      const third = await startTestApp({ ...options, shareDatabaseWith: a });
      await third.close();
      expect(await media()).toMatchObject({ status: MediaStatus.WRITING, ownerInstanceId: row!.ownerInstanceId, uploadId: row!.uploadId });
      expect((await bucketKeys(uploadPrefix)).length).toBeGreaterThanOrEqual(1);

      expect(await ingesting.kill()).toEqual({ code: null, signal: "SIGKILL" });
      stream.client.terminate();
      await data(b.url, END_CALL, { callId: ids.callId }, s.apiUser.token);

      // Once the dead instance's liveness lease lapses, a survivor's sweep makes the stored audio the recording.
      await until(() => data(b.url, STATE, { id: ids.recordingId }, s.compliance.token), (d) => d.recording.state === "AVAILABLE", "AVAILABLE", 30_000);
      expect(await media()).toMatchObject({ status: MediaStatus.STORED, uploadId: null });
      await expectNoOrphans();
      const { url } = (await data(b.url, DOWNLOAD, { id: ids.recordingId }, s.compliance.token)).createRecordingDownload;
      const decoded = await decodeMp3(new Uint8Array(await (await download(url)).arrayBuffer()));
      expect(decoded.errors).toEqual([]);
      expect(power(decoded, 500, 2500, VOICE_BEFORE_HZ)).toBeGreaterThan(0.5 * FULL);
    } finally {
      await ingesting.kill();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
