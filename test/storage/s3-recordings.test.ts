/**
 * Recordings in an S3-compatible bucket (a real s3rver on port 0, spoken to by the AWS SDK): the bucket never
 * holds plaintext audio, a copy of an object taken before deletion is useless after it, and a two-hour call
 * leaves the process as it is written instead of sitting in memory.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { AudioUnavailableError, INGEST_SEGMENT_BYTES } from "../../src/recording-media/recording-media.service";
import { EncryptedObjectReader } from "../../src/storage/encrypted-object-reader";
import { unwrapKey } from "../../src/storage/envelope-keys";
import { InMemoryObjectStore } from "../../src/storage/in-memory-object-store";
import { ObjectIntegrityError } from "../../src/storage/segment-format";
import { gql } from "../support/graphql-client";
import { recordTone } from "../support/record-audio";
import { startS3Server, TestS3Server } from "../support/s3-server";
import { Scenario, startCall, startScenarioApp } from "../support/scenario";
import { TestApp } from "../support/test-app";
import { S3ObjectStore } from "../../src/storage/s3-object-store";
import { RecordingMediaService } from "../../src/recording-media/recording-media.service";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AppProcess } from "../support/app-process";
import { createTestDatabase } from "../support/test-database";
import { replaceRawObject } from "./support/encrypted-objects";

const MASTER_KEY = randomBytes(32).toString("base64");
let s3: TestS3Server;
let client: S3Client;
let bucket: string;
let t: TestApp;
let s: Scenario;

beforeAll(async () => {
  s3 = await startS3Server();
  client = s3.client();
  bucket = await s3.createBucket();
  // recordTone sends its whole call at once, far ahead of the wall clock, which a real gateway never does.
  ({ t, s } = await startScenarioApp({
    media: { masterKey: MASTER_KEY, store: s3.storeConfig(bucket, "media/") },
    operations: { ingest: { clockToleranceMs: 60_000 } },
  }));
}, 60_000);
afterAll(async () => {
  await t?.close();
  client?.destroy();
  await s3?.close();
});

async function bucketObjects(): Promise<{ key: string; size: number }[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((object) => ({ key: object.Key!, size: Number(object.Size) }));
}

async function rawObject(key: string): Promise<Buffer> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

async function recordedCall(ms: number) {
  const ids = await startCall(t, s);
  await recordTone(t, s.apiUser.token, ids.callId, ms);
  await t.app.services.calls.end(s.apiUser.viewer, "t", ids.callId);
  const media = (await t.app.services.media.find(ids.recordingId))!;
  const plaintext = await (await t.app.services.media.openAudio(ids.recordingId)).reader.readAll();
  return { ...ids, media, plaintext };
}

describe("recordings in an S3 bucket", () => {
  it("stores only ciphertext: no MP3 frame of the recording appears in any object of the bucket", async () => {
    const { media, plaintext } = await recordedCall(6000);
    expect(plaintext.length).toBeGreaterThan(2 * INGEST_SEGMENT_BYTES);
    const objects = await bucketObjects();
    // The recording's object under the configured prefix, nothing left of its upload.
    expect(objects.map((o) => o.key)).toContain(`media/${media.objectKey}`);
    expect(objects.filter((o) => o.key.includes(".uploads/"))).toEqual([]);
    for (const { key } of objects) {
      const raw = await rawObject(key);
      expect(raw.subarray(0, 4).toString()).toBe("CVE1");
      for (let frame = 0; frame + 288 <= plaintext.length; frame += 288 * 7) expect(raw.includes(plaintext.subarray(frame, frame + 64))).toBe(false);
    }
  });

  it("leaves a copy of the object taken before deletion undecryptable after it, even put back in the bucket", async () => {
    const { recordingId, media, plaintext } = await recordedCall(1000);
    const key = `media/${media.objectKey}`;
    const copy = await rawObject(key);
    // Before deletion the copy opens with the recording's key: the test can tell success from failure.
    const openCopy = async (dataKey: Uint8Array) => {
      const restored = new InMemoryObjectStore();
      await replaceRawObject(restored, media.objectKey, copy);
      return (await EncryptedObjectReader.open(restored, media.objectKey, { dataKey, objectId: media.objectKey })).readAll();
    };
    expect((await openCopy(unwrapKey(media.wrappedKey!, t.app.services.media["masterKey"], recordingId))).equals(plaintext)).toBe(true);

    const deleted = await gql(t.url, `mutation($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId } }`, { input: { recordingId, reason: "erasure request" } }, s.compliance.token);
    expect(deleted.errors).toBeUndefined();
    expect((await bucketObjects()).map((o) => o.key)).not.toContain(key);
    expect(await t.app.services.media.find(recordingId)).toMatchObject({ wrappedKey: null });

    // The backup restored into the bucket: the service will not open it, and the master key alone cannot.
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: copy }));
    await expect(t.app.services.media.openAudio(recordingId)).rejects.toBeInstanceOf(AudioUnavailableError);
    await expect(openCopy(t.app.services.media["masterKey"].bytes)).rejects.toBeInstanceOf(ObjectIntegrityError);
    const download = await gql(t.url, `mutation($id: ID!) { createRecordingDownload(recordingId: $id) { url } }`, { id: recordingId }, s.compliance.token);
    expect(download.errors?.[0].extensions?.code).toBe("RECORDING_NOT_AVAILABLE");
  });

  it("uploads a two-hour call while it is written: never more than a bounded tail of it is held in the process", async () => {
    const ids = await startCall(t, s);
    // The app's store with 128 KiB chunks instead of 16 KiB, so the test makes 8× fewer requests; the bound
    // is chunk + segment + one write either way, whatever the call's length.
    const chunkBytes = 128 * 1024;
    const store = new S3ObjectStore(client, { bucket, prefix: "media/" }, { chunkBytes });
    const media = new RecordingMediaService(t.app.services.dataSource, store, t.app.services.media["masterKey"], t.app.services.media.ownership);
    const writer = await media.beginIngest(ids.recordingId);
    const uploadPrefix = `media/.uploads/${writer.uploadId}/`;
    // Two hours of 32 kbps MP3 (288-byte frames), written as the encoder hands it over, ~9 s at a time.
    const totalBytes = 2 * 3600 * 4000;
    const piece = Buffer.alloc(288 * 125, 0x55);
    const bound = chunkBytes + INGEST_SEGMENT_BYTES + 16 + piece.length;
    let written = 0;
    let maxHeldBack = 0;
    let inBucket = 0;
    let lastSeen: string | undefined;
    for (let i = 0; written < totalBytes; i++) {
      await writer.write(piece);
      written += piece.length;
      if (i % 40 !== 39) continue;
      // Only what arrived since the last look (chunk names sort in write order): pages stay short.
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: uploadPrefix, StartAfter: lastSeen }));
      for (const object of page.Contents ?? []) inBucket += Number(object.Size);
      lastSeen = page.Contents?.at(-1)?.Key ?? lastSeen;
      // Ciphertext adds a 20-byte header and a 16-byte tag per segment; the rest was on its way or in the bucket.
      const ciphertext = 20 + written + Math.floor(written / INGEST_SEGMENT_BYTES) * 16;
      maxHeldBack = Math.max(maxHeldBack, ciphertext - inBucket);
    }
    expect(maxHeldBack).toBeGreaterThan(0);
    expect(maxHeldBack).toBeLessThanOrEqual(bound);

    await media.commitIngest(ids.recordingId, writer, { sizeBytes: written, sha256: "0".repeat(64), durationMs: 2 * 3600_000 });
    const { reader } = await media.openAudio(ids.recordingId);
    expect(reader.plaintextBytes).toBe(written);
    const tail: Buffer[] = [];
    for await (const bytes of reader.read({ start: written - 1000, endInclusive: written - 1 })) tail.push(Buffer.from(bytes));
    expect(Buffer.concat(tail).equals(Buffer.alloc(1000, 0x55))).toBe(true);
    expect((await bucketObjects()).filter((o) => o.key.startsWith(uploadPrefix))).toEqual([]);
    await t.app.services.calls.end(s.apiUser.viewer, "t", ids.callId);
  }, 120_000);

  it("stops the service's start when the bucket is missing, saying so and naming MEDIA_STORE_URL", async () => {
    const database = await createTestDatabase();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-nobucket-"));
    try {
      const start = AppProcess.start({ dataDir, database, jwtSecret: "s3-recordings-secret-long-enough-for-hs256", env: s3.env("no-such-bucket") });
      await expect(start).rejects.toThrow(/exited before listening \(1\):[\s\S]*MEDIA_STORE_URL: bucket "no-such-bucket" does not exist/);
    } finally {
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
