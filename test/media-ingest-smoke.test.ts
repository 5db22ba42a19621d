import { RecordingState } from "../src/recordings/recording-state";
import { decodeMp3 } from "./media/support/decode-mp3";
import { interleave, trackFrames } from "./media/support/synthetic-call";
import { Scenario, startCall, startScenarioApp } from "./support/scenario";
import { TestApp } from "./support/test-app";
import { TwilioStreamClient } from "./support/twilio-stream-client";

let t: TestApp;
let s: Scenario;
beforeAll(async () => ({ t, s } = await startScenarioApp()));
afterAll(() => t.close());

const waitFor = async (check: () => Promise<boolean>, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("audio ingest", () => {
  it("records a streamed call into an encrypted MP3 that is AVAILABLE when the call ends", async () => {
    const { callId, recordingId } = await startCall(t, s);
    const stream = await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(s.apiUser.token));
    stream.start({ callId });
    const tone = [{ fromMs: 0, toMs: 2000, frequencyHz: 440, amplitude: 8000 }];
    stream.sendFrames(interleave(trackFrames("inbound", 2000, tone), trackFrames("outbound", 2000, [])));
    stream.stop();
    expect((await stream.closed).code).toBe(1000);
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
    await waitFor(async () => (await t.app.services.recordings.find(recordingId))?.state === RecordingState.AVAILABLE);
    const recording = (await t.app.services.recordings.find(recordingId))!;
    expect(recording.sizeBytes).toBeGreaterThan(0);
    expect(recording.sha256).toMatch(/^[0-9a-f]{64}$/);
    const { reader } = await t.app.services.media.openAudio(recordingId);
    const mp3 = await reader.readAll();
    expect(mp3.length).toBe(recording.sizeBytes);
    const decoded = await decodeMp3(mp3);
    expect(decoded.pcm.length / 8000).toBeGreaterThan(1.9);
  });

  it("refuses a stream without API_USER credentials before accepting any audio", async () => {
    await expect(TwilioStreamClient.connect(t.url, {})).rejects.toMatchObject({ status: 401 });
    await expect(TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(s.agent.token))).rejects.toMatchObject({ status: 403 });
  });

  it("marks a call FAILED when no audio was ever streamed", async () => {
    const { callId, recordingId } = await startCall(t, s);
    await t.app.services.calls.end(s.apiUser.viewer, "t", callId);
    expect((await t.app.services.recordings.find(recordingId))?.state).toBe(RecordingState.FAILED);
  });
});
