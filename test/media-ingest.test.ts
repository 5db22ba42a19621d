import { twilioSignature } from "../src/ingest/ingest-auth";
import { MediaStatus } from "../src/recording-media/recording-media.entity";
import { RecordingState } from "../src/recordings/recording-state";
import { EncryptedObjectReader } from "../src/storage/encrypted-object-reader";
import { DECODED_DELAY_SAMPLES } from "./media/support/mp3-timing";
import { decodeMp3 } from "./media/support/decode-mp3";
import { interleave, trackFrames } from "./media/support/synthetic-call";
import { fullTonePower, tonePower } from "./media/support/tone-measure";
import { codesOf, gql } from "./support/graphql-client";
import { recordTone } from "./support/record-audio";
import { Scenario, startCall, startScenarioApp } from "./support/scenario";
import { TestApp } from "./support/test-app";
import { TwilioStreamClient } from "./support/twilio-stream-client";

const TWILIO_AUTH_TOKEN = "twilio-test-auth-token";
const END_CALL = `mutation($callId: ID!) { endCall(callId: $callId) { call { status } recording { id state durationMs } } }`;
const DELETE = `mutation($id: ID!) { deleteRecording(input: { recordingId: $id, reason: "card number slipped through" }) { recordingId mp3Sha256 } }`;
const TONE = { frequencyHz: 440, amplitude: 8000 };

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp({ media: { twilioAuthToken: TWILIO_AUTH_TOKEN } })));
afterAll(() => t.close());

const toneCall = (ms: number) => interleave(trackFrames("inbound", ms, [{ fromMs: 0, toMs: ms, ...TONE }]), trackFrames("outbound", ms, []));
const bearer = () => TwilioStreamClient.bearer(s.apiUser.token);
const storedMp3 = async (recordingId: string) => (await t.app.services.media.openAudio(recordingId)).reader.readAll();

describe("the media WebSocket", () => {
  it("encodes while the call runs, so the recording is AVAILABLE the moment the call ends", async () => {
    const { callId, recordingId } = await startCall(t, s);
    await recordTone(t, s.apiUser.token, callId, 3000);

    const startedAt = Date.now();
    const ended = await gql(t.url, END_CALL, { callId }, s.apiUser.token);
    const elapsedMs = Date.now() - startedAt;
    expect(ended.data?.endCall.recording).toMatchObject({ id: recordingId, state: "AVAILABLE", durationMs: 3000 });
    expect(elapsedMs).toBeLessThan(1000);

    const mp3 = await storedMp3(recordingId);
    expect(mp3.length).toBe((await t.app.services.recordings.find(recordingId))?.sizeBytes);
    const { pcm } = await decodeMp3(mp3);
    expect(tonePower(pcm, 500, 2500, 440, DECODED_DELAY_SAMPLES)).toBeGreaterThan(fullTonePower(TONE.amplitude) / 2);
  });

  it("accepts Twilio itself by X-Twilio-Signature, starting the call from custom parameters and ending it on stop", async () => {
    const origin = t.url.replace(/^http/, "wss").replace(/\/graphql$/, "");
    const stream = await TwilioStreamClient.connect(t.url, { "x-twilio-signature": twilioSignature(TWILIO_AUTH_TOKEN, `${origin}/media`) });
    stream.start({ customerId: s.customerId, agentId: s.otherAgent.email }, "CA-from-twilio");
    stream.sendFrames(toneCall(1000));
    stream.stop();
    expect((await stream.closed).code).toBe(1000);
    const call = await t.app.services.dataSource.query("SELECT id, status FROM calls WHERE externalRef = 'CA-from-twilio'");
    expect(call).toHaveLength(1);
    expect(call[0].status).toBe("ENDED");
    const recording = await t.app.services.recordings.findByCall(call[0].id);
    expect(recording).toMatchObject({ state: RecordingState.AVAILABLE, durationMs: 1000 });
  });

  it.each([
    ["no credentials", {}, 401],
    ["an agent's token", "agent", 403],
    ["a wrong Twilio signature", { "x-twilio-signature": "bm90IGEgc2lnbmF0dXJl" }, 403],
  ] as const)("refuses %s at the upgrade, before any audio", async (_name, headers, status) => {
    const sent = headers === "agent" ? TwilioStreamClient.bearer(s.agent.token) : headers;
    await expect(TwilioStreamClient.connect(t.url, sent)).rejects.toMatchObject({ status });
  });

  it("survives a malformed, out-of-order and oversized stream without disturbing another call", async () => {
    const good = await startCall(t, s);
    const bad = await startCall(t, s, s.otherAgent);
    const goodStream = await TwilioStreamClient.connect(t.url, bearer());
    const badStream = await TwilioStreamClient.connect(t.url, bearer());
    goodStream.start({ callId: good.callId });
    badStream.send("{ not json");
    badStream.send({ event: "media", media: { track: "inbound", timestamp: "0", payload: "AAAA" } });
    badStream.start({ callId: bad.callId });
    const frames = toneCall(1000);
    badStream.sendFrames([...frames].reverse());
    badStream.send({ event: "media", media: { track: "sideways", timestamp: "20", payload: "AAAA" } });
    badStream.send({ event: "media", media: { track: "inbound", timestamp: "3600000", payload: "/w==" } });
    badStream.send({ event: "media", media: { track: "inbound", timestamp: "-5", payload: "%%%%" } });
    badStream.send({ event: "unheard-of" });
    goodStream.sendFrames(toneCall(2000));
    badStream.send("x".repeat(70 * 1024));
    expect((await badStream.closed).code).toBe(1009);
    goodStream.stop();
    expect((await goodStream.closed).code).toBe(1000);

    const goodEnd = await gql(t.url, END_CALL, { callId: good.callId }, s.apiUser.token);
    expect(goodEnd.data?.endCall.recording).toMatchObject({ state: "AVAILABLE", durationMs: 2000 });
    const badEnd = await gql(t.url, END_CALL, { callId: bad.callId }, s.apiUser.token);
    expect(["AVAILABLE", "FAILED"]).toContain(badEnd.data?.endCall.recording.state);
    expect((await fetch(t.url.replace(/\/graphql$/, "/health"))).status).toBe(200);
  });

  it("keeps a playable MP3 of what was recorded when the stream dies mid-call", async () => {
    const { callId, recordingId } = await startCall(t, s);
    const stream = await TwilioStreamClient.connect(t.url, bearer());
    stream.start({ callId });
    stream.sendFrames(toneCall(1500));
    await stream.flushed();
    await new Promise((resolve) => setTimeout(resolve, 200));
    stream.terminate();
    await stream.closed;
    const ended = await gql(t.url, END_CALL, { callId }, s.apiUser.token);
    expect(ended.data?.endCall.recording).toMatchObject({ state: "AVAILABLE", durationMs: 1500 });
    const { pcm } = await decodeMp3(await storedMp3(recordingId));
    expect(tonePower(pcm, 200, 1200, 440, DECODED_DELAY_SAMPLES)).toBeGreaterThan(fullTonePower(TONE.amplitude) / 2);
  });

  it("refuses a second stream for a call whose audio is already being recorded", async () => {
    const { callId } = await startCall(t, s);
    const first = await TwilioStreamClient.connect(t.url, bearer());
    first.start({ callId });
    first.sendFrames(toneCall(200));
    await first.flushed();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await TwilioStreamClient.connect(t.url, bearer());
    second.start({ callId });
    expect((await second.closed).code).toBe(1008);
    first.stop();
    await first.closed;
    await gql(t.url, END_CALL, { callId }, s.apiUser.token);
  });
});

describe("a pause that arrives after its audio was encoded", () => {
  it("is audited with how much paused audio got into the recording, so it can be redacted", async () => {
    const { callId, recordingId } = await startCall(t, s);
    const stream = await TwilioStreamClient.connect(t.url, bearer());
    stream.start({ callId });
    // Two seconds of stream time sent at once: far past the 500 ms hold-back by the time the pause is made.
    stream.sendFrames(toneCall(2000));
    await stream.flushed();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await gql(t.url, `mutation($id: ID!) { pauseRecording(input: { recordingId: $id }) { state } }`, { id: recordingId }, s.agent.token);
    await gql(t.url, `mutation($id: ID!) { resumeRecording(input: { recordingId: $id }) { state } }`, { id: recordingId }, s.agent.token);
    stream.stop();
    await stream.closed;
    await gql(t.url, END_CALL, { callId }, s.apiUser.token);

    // The pipeline audits the leak on its own, after the fact: wait for the entry rather than race it.
    const lateEntries = async () =>
      (await gql(t.url, `query($id: ID!) { auditLog(first: 5, filter: { action: PAUSE_APPLIED_LATE, targetId: $id }) { edges { node { actorId details } } } }`, { id: recordingId }, s.compliance.token)).data?.auditLog.edges.map(
        (e: { node: unknown }) => e.node,
      );
    let entries = await lateEntries();
    for (const deadline = Date.now() + 5000; entries?.length === 0 && Date.now() < deadline; entries = await lateEntries()) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(entries).toHaveLength(1);
    expect(entries[0].actorId).toBeNull();
    expect(entries[0].details.leakedMs).toBeGreaterThan(500);
  });
});

describe("deleting a recording shreds its audio", () => {
  it("leaves a copy of the ciphertext taken before deletion undecryptable", async () => {
    const { callId, recordingId } = await startCall(t, s);
    await recordTone(t, s.apiUser.token, callId, 1000);
    await gql(t.url, END_CALL, { callId }, s.apiUser.token);

    const { media } = await t.app.services.media.openAudio(recordingId);
    const info = await t.app.services.media.store.stat(media.objectKey);
    const backup = await t.app.services.media.store.readRange(media.objectKey, 0, info!.size);
    const deleted = await gql(t.url, DELETE, { id: recordingId }, s.compliance.token);
    expect(deleted.data?.deleteRecording.mp3Sha256).toBe(media.sha256);

    const after = await t.app.services.media.find(recordingId);
    expect(after).toMatchObject({ status: MediaStatus.SHREDDED, wrappedKey: null });
    expect(await t.app.services.media.store.stat(media.objectKey)).toBeNull();
    expect(codesOf(await gql(t.url, `mutation($id: ID!) { createRecordingDownload(recordingId: $id) { url } }`, { id: recordingId }, s.compliance.token))).toEqual([
      "RECORDING_NOT_AVAILABLE",
    ]);

    // The backup is intact ciphertext, but the only key that opened it is gone: nothing the service holds opens it.
    const restored = await t.app.services.media.store.beginUpload("restore/backup.mp3.enc");
    await restored.write(backup);
    await restored.commit();
    const candidates = [t.app.services.media.deriveSecret("download-url"), Buffer.alloc(32)];
    for (const dataKey of candidates) {
      await expect(EncryptedObjectReader.open(t.app.services.media.store, "restore/backup.mp3.enc", { dataKey, objectId: media.objectKey })).rejects.toThrow();
    }
    await expect(t.app.services.media.openAudio(recordingId)).rejects.toThrow();
  });
});
