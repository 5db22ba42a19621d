/**
 * A stream that ends while its call goes on (a dropped connection, an instance that shut down cleanly): the
 * gateway's reconnected stream appends to the audio already stored instead of being refused.
 */
import { SAMPLES_PER_MS } from "../src/media/media-frame";
import { MediaStatus } from "../src/recording-media/recording-media.entity";
import { decodeMp3 } from "./media/support/decode-mp3";
import { DECODED_DELAY_SAMPLES } from "./media/support/mp3-timing";
import { interleave, trackFrames } from "./media/support/synthetic-call";
import { fullTonePower, tonePower } from "./media/support/tone-measure";
import { gql } from "./support/graphql-client";
import { Scenario, startCall, startScenarioApp } from "./support/scenario";
import { TestApp } from "./support/test-app";
import { TwilioStreamClient } from "./support/twilio-stream-client";

const FULL = fullTonePower(8000);
let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

async function streamTone(callId: string, hz: number, ms: number, ending: "stop" | "drop"): Promise<void> {
  const stream = await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(s.apiUser.token));
  stream.start({ callId });
  stream.sendFrames(interleave(trackFrames("inbound", ms, []), trackFrames("outbound", ms, [{ fromMs: 0, toMs: ms, frequencyHz: hz, amplitude: 8000 }])));
  await stream.flushed();
  if (ending === "stop") {
    stream.stop();
    expect((await stream.closed).code).toBe(1000);
  } else stream.terminate();
}

/** When the second stream connects, counted from the first's opening: past its 1.5 s of audio, so there is a gap. */
const RECONNECT_AFTER_MS = 2_500;
/** Rounding of the silence to whole MP3 frames, with room to spare. */
const TOLERANCE_MS = 150;

describe("a media stream reconnected after it dropped mid-call", () => {
  it("appends to the audio already stored: one MP3, the first part, the gap as silence, then the second", async () => {
    const ids = await startCall(t, s);
    const firstOpened = Date.now();
    await streamTone(ids.callId, 440, 1500, "drop");
    const firstStreamed = Date.now();
    const stored = await until(() => t.app.services.media.find(ids.recordingId), (row) => row?.status === MediaStatus.STORED && !t.app.services.sessions.has(ids.recordingId));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstOpened + RECONNECT_AFTER_MS - Date.now())));

    const secondOpened = Date.now();
    await streamTone(ids.callId, 600, 1500, "stop");
    const secondStreamed = Date.now();
    const ended = await gql(t.url, `mutation($callId: ID!) { endCall(callId: $callId) { recording { state } } }`, { callId: ids.callId }, s.apiUser.token);
    expect(ended.data?.endCall.recording.state).toBe("AVAILABLE");
    const recording = (await t.app.services.recordings.find(ids.recordingId))!;
    expect(recording.sizeBytes).toBeGreaterThan(stored!.sizeBytes!);
    // The first stream's object was replaced (new key, new object); the old one is gone.
    const media = (await t.app.services.media.find(ids.recordingId))!;
    expect(media.objectKey).not.toBe(stored!.objectKey);
    expect(await t.app.services.media.store.stat(stored!.objectKey)).toBeNull();

    const { reader } = await t.app.services.media.openAudio(ids.recordingId);
    const decoded = await decodeMp3(await reader.readAll());
    expect(decoded.errors).toEqual([]);
    const power = (from: number, to: number, hz: number) => tonePower(decoded.pcm, from, to, hz, DECODED_DELAY_SAMPLES);
    const recordedMs = (decoded.samplesDecoded - DECODED_DELAY_SAMPLES) / SAMPLES_PER_MS;
    const firstMs = stored!.durationMs!;
    // The file stays on the call's clock: the second stream's audio starts where the call was when it
    // connected (bounded by when each stream was opened and done), the time between them silence.
    const secondFromMs = recordedMs - 1500;
    expect(secondFromMs).toBeGreaterThan(firstMs + 500);
    expect(secondFromMs).toBeGreaterThan(secondOpened - firstStreamed - TOLERANCE_MS);
    expect(secondFromMs).toBeLessThan(secondStreamed - firstOpened + TOLERANCE_MS);

    expect(power(200, 1200, 440)).toBeGreaterThan(0.5 * FULL);
    expect(power(200, 1200, 600)).toBeLessThan(1e-3 * FULL);
    for (const hz of [440, 600]) expect(power(firstMs + 200, secondFromMs - 200, hz)).toBeLessThan(1e-3 * FULL);
    expect(power(secondFromMs + 300, secondFromMs + 1200, 600)).toBeGreaterThan(0.5 * FULL);
    expect(power(secondFromMs + 300, secondFromMs + 1200, 440)).toBeLessThan(1e-3 * FULL);
    expect(Math.abs(recording.durationMs! - recordedMs)).toBeLessThan(300);
  });
});

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
