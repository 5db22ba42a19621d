import { createHash } from "node:crypto";
import { Role } from "../src/auth/role";
import { loadMasterKey } from "../src/recording-media/master-key-file";
import { MediaStatus } from "../src/recording-media/recording-media.entity";
import { EncryptedObjectReader } from "../src/storage/encrypted-object-reader";
import { unwrapKey } from "../src/storage/envelope-keys";
import { InMemoryObjectStore } from "../src/storage/in-memory-object-store";
import { decodeMp3 } from "./media/support/decode-mp3";
import { DECODED_DELAY_SAMPLES } from "./media/support/mp3-timing";
import { interleave, trackFrames } from "./media/support/synthetic-call";
import { tonePower } from "./media/support/tone-measure";
import { codesOf, gql, SubscriptionRecorder, wsClient } from "./support/graphql-client";
import { Scenario, startCall, startScenarioApp, STATE_SUBSCRIPTION } from "./support/scenario";
import { TestApp, TestUser } from "./support/test-app";
import { TwilioStreamClient } from "./support/twilio-stream-client";

/**
 * redactRecordingSegment through the real API, on recordings made by streaming real audio through the
 * media WebSocket: the span is silent afterwards and the rest is not, the old audio is shredded, and
 * the change is audited and published.
 */

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

const REDACT = /* GraphQL */ `
  mutation($input: RedactRecordingSegmentInput!) {
    redactRecordingSegment(input: $input) {
      fromSeconds toSeconds reason redactedAt redactedById previousMp3Sha256 mp3Sha256
      recording { id state sequence durationMs sizeBytes sha256 timelineText }
    }
  }
`;
const RECORDING = /* GraphQL */ `
  query($id: ID!) { recording(id: $id) { id state sequence durationMs sizeBytes sha256 } }
`;
const AUDIT = /* GraphQL */ `
  query($filter: AuditFilterInput) {
    auditLog(first: 200, filter: $filter) { edges { node { action actorId targetType targetId details } } }
  }
`;
const TIMELINE_SUBSCRIPTION = /* GraphQL */ `
  subscription($customerId: ID!) { customerTimelineChanged(customerId: $customerId) { kind customerId entry { id recording { id state } } } }
`;
const DELETE = /* GraphQL */ `
  mutation($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId mp3Sha256 } }
`;

const TONE_MS = 3000;
const TONE_HZ = 440;
/**
 * The caller's own silent gap in the tone: a landmark in the content. Were the decoder's delay not taken
 * off, the re-encoded audio would shift by 1105 samples (138 ms) and the gap with it.
 */
const GAP = { fromMs: 2400, toMs: 2600 };

const waitFor = async (check: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** Streams the tone (with its GAP) into the call through the real media WebSocket, as the telephony gateway would. */
async function streamTone(callId: string): Promise<void> {
  const stream = await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(s.apiUser.token));
  stream.start({ callId });
  const tone = { frequencyHz: TONE_HZ, amplitude: 8000 };
  const spans = [{ fromMs: 0, toMs: GAP.fromMs, ...tone }, { fromMs: GAP.toMs, toMs: TONE_MS, ...tone }];
  stream.sendFrames(interleave(trackFrames("inbound", TONE_MS, spans), trackFrames("outbound", TONE_MS, [])));
  stream.stop();
  expect((await stream.closed).code).toBe(1000);
}

/** A finished call with TONE_MS of a 440 Hz tone (silent in GAP): AVAILABLE. */
async function toneRecording(): Promise<string> {
  const { callId, recordingId } = await startCall(t, s);
  await streamTone(callId);
  await t.app.services.calls.end(s.apiUser.viewer, "test-setup", callId);
  await waitFor(async () => (await t.app.services.recordings.find(recordingId))?.state === "AVAILABLE");
  return recordingId;
}

const redactAs = (user: TestUser | undefined, input: Record<string, unknown>) => gql(t.url, REDACT, { input }, user?.token);

const recordingView = async (id: string) => {
  const view = await gql(t.url, RECORDING, { id }, s.compliance.token);
  expect(view.errors).toBeUndefined();
  return view.data!.recording;
};

const storedMp3 = async (recordingId: string) => (await t.app.services.media.openAudio(recordingId)).reader.readAll();

const objectsOf = async (recordingId: string) => {
  const keys: string[] = [];
  for await (const object of t.app.services.media.store.list(`recordings/${recordingId}/`)) keys.push(object.key);
  return keys.sort();
};

/** The 440 Hz power over [fromMs, toMs) of the recording's timeline (the decoder's delay taken off). */
const toneIn = (pcm: Int16Array, fromMs: number, toMs: number) => tonePower(pcm, fromMs, toMs, TONE_HZ, DECODED_DELAY_SAMPLES);

describe("a successful redaction of [1.0, 2.0)", () => {
  let recordingId: string;
  let before: Record<string, any>;
  let originalMp3: Buffer;
  let originalPcm: Int16Array;
  let oldMedia: { objectKey: string; wrappedKey: string; generation: number };
  let oldCiphertext: Uint8Array;
  let answer: Record<string, any>;
  let redactedMp3: Buffer;
  let redactedPcm: Int16Array;
  let stateWatch: SubscriptionRecorder;
  let timelineWatch: SubscriptionRecorder;
  const cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    recordingId = await toneRecording();
    before = await recordingView(recordingId);
    originalMp3 = await storedMp3(recordingId);
    originalPcm = (await decodeMp3(originalMp3)).pcm;
    const media = (await t.app.services.media.find(recordingId))!;
    oldMedia = { objectKey: media.objectKey, wrappedKey: media.wrappedKey!, generation: media.generation };
    // What a backup taken before the redaction would hold.
    const info = (await t.app.services.media.store.stat(media.objectKey))!;
    oldCiphertext = await t.app.services.media.store.readRange(media.objectKey, 0, info.size);

    const client = wsClient(t.wsUrl, s.compliance.token);
    cleanups.push(() => client.dispose());
    stateWatch = new SubscriptionRecorder(client, STATE_SUBSCRIPTION, { recordingId });
    timelineWatch = new SubscriptionRecorder(client, TIMELINE_SUBSCRIPTION, { customerId: s.customerId });
    cleanups.push(() => stateWatch.stop(), () => timelineWatch.stop());
    await stateWatch.waitFor(1);
    await timelineWatch.waitFor(1);

    const redacted = await redactAs(s.compliance, { recordingId, fromSeconds: 1.0, toSeconds: 2.0, reason: "card number read out (ticket 17)" });
    expect(redacted.errors).toBeUndefined();
    answer = redacted.data!.redactRecordingSegment;
    redactedMp3 = await storedMp3(recordingId);
    redactedPcm = (await decodeMp3(redactedMp3)).pcm;
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("recorded the tone throughout before redaction (the baseline)", () => {
    expect(before).toMatchObject({ state: "AVAILABLE", durationMs: TONE_MS });
    for (const [from, to] of [[100, 900], [1000, 2000], [2050, 2400], [2600, 2950]]) expect(toneIn(originalPcm, from, to)).toBeGreaterThan(1e6);
    expect(toneIn(originalPcm, 2400, 2600)).toBeLessThan(toneIn(originalPcm, 100, 900) * 1e-4);
  });

  it("answers with the span silenced, the reason, the actor and both hashes", () => {
    expect(answer).toEqual({
      fromSeconds: 1,
      toSeconds: 2,
      reason: "card number read out (ticket 17)",
      redactedAt: expect.any(String),
      redactedById: s.compliance.id,
      previousMp3Sha256: before.sha256,
      mp3Sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      recording: {
        id: recordingId,
        state: "AVAILABLE",
        sequence: before.sequence + 1,
        durationMs: TONE_MS,
        sizeBytes: redactedMp3.length,
        sha256: answer.mp3Sha256,
        timelineText: "Call recording",
      },
    });
    expect(answer.mp3Sha256).not.toBe(before.sha256);
  });

  it("silences the span and keeps the tone outside it", () => {
    const full = toneIn(originalPcm, 100, 900);
    // Whole 50 ms blocks inside the span: nothing of the tone is left (the encoder's smear at the edges is far below -40 dB).
    expect(toneIn(redactedPcm, 1000, 2000)).toBeLessThan(full * 1e-4);
    expect(toneIn(redactedPcm, 1050, 1950)).toBeLessThan(full * 1e-5);
    // Up to the edges outside, the tone is intact: the span lands where the caller meant, not 1105 samples late.
    for (const [from, to] of [[0, 950], [2050, 2400], [2600, 2950]]) {
      expect(toneIn(redactedPcm, from, to)).toBeGreaterThan(full * 0.8);
      expect(toneIn(redactedPcm, from, to)).toBeLessThan(full * 1.2);
    }
  });

  it("keeps the content in place: the recording's own gap is still at 2.4-2.6 s", () => {
    const full = toneIn(originalPcm, 100, 900);
    expect(toneIn(redactedPcm, GAP.fromMs, GAP.toMs)).toBeLessThan(full * 1e-4);
    expect(toneIn(redactedPcm, GAP.fromMs - 200, GAP.fromMs)).toBeGreaterThan(full * 0.8);
    expect(toneIn(redactedPcm, GAP.toMs, GAP.toMs + 200)).toBeGreaterThan(full * 0.8);
  });

  it("keeps the duration and the MP3 format: same length, same frame header, so every player sees the same recording", () => {
    expect(redactedPcm.length).toBe(originalPcm.length);
    // 32 kbps CBR: the size depends only on the duration, so it is unchanged while the bytes are not.
    expect(redactedMp3.length).toBe(originalMp3.length);
    expect(redactedMp3.subarray(0, 4)).toEqual(originalMp3.subarray(0, 4));
    expect(redactedMp3.equals(originalMp3)).toBe(false);
  });

  it("stores the new MP3 whose SHA-256 and size the recording and the media row report", async () => {
    const sha = createHash("sha256").update(redactedMp3).digest("hex");
    expect(sha).toBe(answer.mp3Sha256);
    expect(await recordingView(recordingId)).toMatchObject({ sha256: sha, sizeBytes: redactedMp3.length, durationMs: TONE_MS, sequence: before.sequence + 1 });
    expect(await t.app.services.media.find(recordingId)).toMatchObject({
      status: MediaStatus.STORED,
      generation: oldMedia.generation + 1,
      sha256: sha,
      sizeBytes: redactedMp3.length,
      durationMs: TONE_MS,
    });
  });

  it("shreds the old audio: a backup copy of it no longer opens with the recording's key, and the old object is gone", async () => {
    const masterKey = loadMasterKey(undefined, t.app.config.dataDir);
    const backup = new InMemoryObjectStore();
    const upload = await backup.beginUpload(oldMedia.objectKey);
    await upload.write(oldCiphertext);
    await upload.commit();

    // Control: with the key as it was before, the backup opens, so the refusal below is the key's doing.
    const oldKey = unwrapKey(oldMedia.wrappedKey, masterKey, recordingId);
    const opened = await EncryptedObjectReader.open(backup, oldMedia.objectKey, { dataKey: oldKey, objectId: oldMedia.objectKey });
    expect((await opened.readAll()).equals(originalMp3)).toBe(true);

    const media = (await t.app.services.media.find(recordingId))!;
    expect(media.wrappedKey).not.toBe(oldMedia.wrappedKey);
    expect(media.objectKey).not.toBe(oldMedia.objectKey);
    const currentKey = unwrapKey(media.wrappedKey!, masterKey, recordingId);
    for (const objectId of [oldMedia.objectKey, media.objectKey]) {
      await expect(EncryptedObjectReader.open(backup, oldMedia.objectKey, { dataKey: currentKey, objectId })).rejects.toThrow(/failed authentication/);
    }
    // The old wrapped key survives nowhere in the database.
    const rows = await t.app.services.dataSource.query(`SELECT COUNT(*) AS n FROM recording_media WHERE wrappedKey = ?`, [oldMedia.wrappedKey]);
    expect(Number(rows[0].n)).toBe(0);

    expect(await t.app.services.media.store.stat(oldMedia.objectKey)).toBeNull();
    expect(await objectsOf(recordingId)).toEqual([media.objectKey]);
  });

  it("publishes the new sequence to recordingStateChanged and RECORDING_REDACTED to the timeline", async () => {
    const states = (await stateWatch.waitFor(2)).map((m) => m.data?.recordingStateChanged);
    expect(states[1]).toMatchObject({
      kind: "CHANGE",
      recordingId,
      sequence: before.sequence + 1,
      previousState: "AVAILABLE",
      state: "AVAILABLE",
      actorId: s.compliance.id,
      source: "API",
    });
    await waitFor(async () => timelineWatch.messages.some((m) => m.data?.customerTimelineChanged.kind === "RECORDING_REDACTED"), 5000);
    const redactions = timelineWatch.messages.map((m) => m.data?.customerTimelineChanged).filter((m) => m.kind === "RECORDING_REDACTED");
    expect(redactions).toEqual([{ kind: "RECORDING_REDACTED", customerId: s.customerId, entry: { id: recordingId, recording: { id: recordingId, state: "AVAILABLE" } } }]);
  });

  it("is audited with the span, the reason and both hashes", async () => {
    const page = await gql(t.url, AUDIT, { filter: { targetId: recordingId, action: "RECORDING_REDACTED" } }, s.compliance.token);
    expect(page.errors).toBeUndefined();
    const entries = page.data!.auditLog.edges.map((e: { node: unknown }) => e.node);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: "RECORDING_REDACTED",
      actorId: s.compliance.id,
      targetType: "RECORDING",
      targetId: recordingId,
      details: {
        reason: "card number read out (ticket 17)",
        fromSeconds: 1,
        toSeconds: 2,
        previousMp3Sha256: before.sha256,
        mp3Sha256: answer.mp3Sha256,
      },
    });
  });

  it("can redact the redacted recording again; the earlier span stays silent", async () => {
    const again = await redactAs(s.compliance, { recordingId, fromSeconds: 2.7, toSeconds: TONE_MS / 1000 + 0.2, reason: "second card number" });
    expect(again.errors).toBeUndefined();
    // An end a little past the recording (a player's duration) is clamped to it.
    expect(again.data?.redactRecordingSegment).toMatchObject({ fromSeconds: 2.7, toSeconds: 3, previousMp3Sha256: answer.mp3Sha256 });
    const pcm = (await decodeMp3(await storedMp3(recordingId))).pcm;
    const full = toneIn(originalPcm, 100, 900);
    expect(pcm.length).toBe(originalPcm.length);
    expect(toneIn(pcm, 1050, 1950)).toBeLessThan(full * 1e-5);
    expect(toneIn(pcm, 2750, 3000)).toBeLessThan(full * 1e-5);
    for (const [from, to] of [[0, 950], [2050, 2400], [2600, 2650]]) expect(toneIn(pcm, from, to)).toBeGreaterThan(full * 0.8);
    expect(await objectsOf(recordingId)).toEqual([(await t.app.services.media.find(recordingId))!.objectKey]);
  });
});

describe("redactRecordingSegment input, permissions and states", () => {
  let recordingId: string;
  let before: Record<string, any>;

  beforeAll(async () => {
    recordingId = await toneRecording();
    before = await recordingView(recordingId);
  });

  const unchanged = async () => {
    expect(await recordingView(recordingId)).toEqual(before);
    expect(await objectsOf(recordingId)).toEqual([(await t.app.services.media.find(recordingId))!.objectKey]);
  };

  it.each([
    ["an empty reason", { fromSeconds: 1, toSeconds: 2, reason: "" }],
    ["a whitespace-only reason", { fromSeconds: 1, toSeconds: 2, reason: " \t\n " }],
    ["a reason over 1000 characters", { fromSeconds: 1, toSeconds: 2, reason: "x".repeat(1001) }],
    ["a negative start", { fromSeconds: -0.5, toSeconds: 1, reason: "r" }],
    ["an empty span", { fromSeconds: 1, toSeconds: 1, reason: "r" }],
    ["a reversed span", { fromSeconds: 2, toSeconds: 1, reason: "r" }],
    ["an end well past the recording", { fromSeconds: 1, toSeconds: TONE_MS / 1000 + 1, reason: "r" }],
    ["a span wholly after the recording", { fromSeconds: TONE_MS / 1000, toSeconds: TONE_MS / 1000 + 0.1, reason: "r" }],
  ])("refuses %s with BAD_USER_INPUT and changes nothing", async (_label, input) => {
    expect(codesOf(await redactAs(s.compliance, { recordingId, ...input }))).toEqual(["BAD_USER_INPUT"]);
    await unchanged();
  });

  it("refuses a request without a reason at all (GraphQL validation)", async () => {
    expect(codesOf(await redactAs(s.compliance, { recordingId, fromSeconds: 1, toSeconds: 2 }))).toEqual(["BAD_USER_INPUT"]);
    await unchanged();
  });

  it.each([[Role.ADMINISTRATOR], [Role.TEAM_MANAGER], [Role.AGENT], [Role.API_USER]])("refuses %s with FORBIDDEN", async (role) => {
    const user = await t.user([role], `not-compliance-${role}`);
    expect(codesOf(await redactAs(user, { recordingId, fromSeconds: 1, toSeconds: 2, reason: "I would like to" }))).toEqual(["FORBIDDEN"]);
    await unchanged();
  });

  it("refuses an anonymous request with UNAUTHENTICATED", async () => {
    expect(codesOf(await redactAs(undefined, { recordingId, fromSeconds: 1, toSeconds: 2, reason: "anonymous" }))).toEqual(["UNAUTHENTICATED"]);
    await unchanged();
  });

  it.each([
    ["an unknown uuid", "00000000-0000-0000-0000-000000000000"],
    ["an id that is not a uuid", "no-such-recording"],
  ])("answers NOT_FOUND for %s", async (_label, id) => {
    expect(codesOf(await redactAs(s.compliance, { recordingId: id, fromSeconds: 1, toSeconds: 2, reason: "r" }))).toEqual(["NOT_FOUND"]);
  });

  it("refuses a live recording with RECORDING_NOT_AVAILABLE", async () => {
    const live = await startCall(t, s, await t.user([Role.AGENT], "live-agent"));
    const refused = await redactAs(s.compliance, { recordingId: live.recordingId, fromSeconds: 0, toSeconds: 0.5, reason: "r" });
    expect(codesOf(refused)).toEqual(["RECORDING_NOT_AVAILABLE"]);
    expect(refused.errors?.[0].extensions?.state).toBe("RECORDING");
    await t.app.services.calls.end(s.apiUser.viewer, "test-setup", live.callId);
  });

  it("refuses a FAILED recording (no audio) with RECORDING_NOT_AVAILABLE", async () => {
    const silent = await startCall(t, s, await t.user([Role.AGENT], "silent-agent"));
    await t.app.services.calls.end(s.apiUser.viewer, "test-setup", silent.callId);
    expect((await recordingView(silent.recordingId)).state).toBe("FAILED");
    expect(codesOf(await redactAs(s.compliance, { recordingId: silent.recordingId, fromSeconds: 0, toSeconds: 0.5, reason: "r" }))).toEqual([
      "RECORDING_NOT_AVAILABLE",
    ]);
  });

  it("refuses a deleted recording with RECORDING_NOT_AVAILABLE; deleting after a redaction reports the redacted MP3", async () => {
    const id = await toneRecording();
    const redacted = await redactAs(s.compliance, { recordingId: id, fromSeconds: 0.5, toSeconds: 1, reason: "card number" });
    expect(redacted.errors).toBeUndefined();
    const deleted = await gql(t.url, DELETE, { input: { recordingId: id, reason: "erasure request" } }, s.compliance.token);
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data?.deleteRecording.mp3Sha256).toBe(redacted.data?.redactRecordingSegment.mp3Sha256);
    expect(await objectsOf(id)).toEqual([]);

    const refused = await redactAs(s.compliance, { recordingId: id, fromSeconds: 0.5, toSeconds: 1, reason: "again" });
    expect(codesOf(refused)).toEqual(["RECORDING_NOT_AVAILABLE"]);
    expect(refused.errors?.[0].extensions?.state).toBe("DELETED");
    expect(await recordingView(id)).toMatchObject({ state: "DELETED" });
  });
});

describe("concurrent redactions of one recording", () => {
  it("never lose audio: each either lands or answers CONFLICT, and exactly the current object is left", async () => {
    const recordingId = await toneRecording();
    const before = await recordingView(recordingId);
    const answers = await Promise.all(
      [0.2, 1.2, 2.2].map((from) => redactAs(s.compliance, { recordingId, fromSeconds: from, toSeconds: from + 0.5, reason: `race ${from}` })),
    );
    const landed = answers.filter((a) => !a.errors);
    expect(landed.length).toBeGreaterThanOrEqual(1);
    for (const refused of answers.filter((a) => a.errors)) expect(codesOf(refused)).toEqual(["CONFLICT"]);

    const after = await recordingView(recordingId);
    expect(after.sequence).toBe(before.sequence + landed.length);
    const mp3 = await storedMp3(recordingId);
    expect(createHash("sha256").update(mp3).digest("hex")).toBe(after.sha256);
    expect(landed.map((a) => a.data?.redactRecordingSegment.mp3Sha256)).toContain(after.sha256);
    expect(await objectsOf(recordingId)).toEqual([(await t.app.services.media.find(recordingId))!.objectKey]);
  });
});
