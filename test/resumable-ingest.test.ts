/**
 * Resumable ingest: the process ingesting a call is SIGKILLed mid-call, started again, and the gateway
 * reconnects the stream. The audio stored before the crash is kept and the new audio appended to one MP3 on
 * the call's clock, so durations and pause offsets agree with the audio, and a pause that spans the crash
 * keeps the card number out on both sides of it.
 */
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { goertzelPower } from "../src/media/analysis/goertzel";
import { SAMPLE_RATE_HZ, SAMPLES_PER_MS } from "../src/media/media-frame";
import { MediaStatus, RecordingMediaEntity } from "../src/recording-media/recording-media.entity";
import { decodeMp3, DecodedMp3 } from "./media/support/decode-mp3";
import { DECODED_DELAY_SAMPLES } from "./media/support/mp3-timing";
import { fullTonePower, tonePower } from "./media/support/tone-measure";
import { PacedTwilioStream } from "./support/paced-stream";
import { ProcessScenario, startProcessScenario } from "./support/process-scenario";

const VOICE_BEFORE_HZ = 440;
/** 6 whole periods in a 10 ms block: no leak into the 1 kHz bin the card check reads. */
const VOICE_AFTER_HZ = 600;
const CARD_HZ = 1000;
const FULL = fullTonePower(8000);
const PRESENT = 0.5 * FULL;
const ABSENT = 1e-3 * FULL;
/** The card number must not be within 20 dB of speech in any 10 ms block. */
const AUDIBLE = 0.01 * FULL;
/** Header and two sealed 8 KiB ingest segments: about four seconds of MP3 are durable before the kill. */
const DURABLE_BYTES = 20 + 2 * (8192 + 16);
/** The pause is confirmed, then the customer starts reading after this long. */
const READ_DELAY_MS = 300;
/** Everything measured on the recording's timeline must land within this of where the wall clock puts it. */
const CLOCK_TOLERANCE_MS = 450;

const PAUSE = `mutation($id: ID!) { pauseRecording(input: { recordingId: $id, holdKey: "card-field" }) { state } }`;
const RESUME = `mutation($id: ID!) { resumeRecording(input: { recordingId: $id, holdKey: "card-field" }) { state } }`;
const START_CALL = `mutation($input: StartCallInput!) { startCall(input: $input) { call { id } recording { id } } }`;
const END_CALL = `mutation($callId: ID!) { endCall(callId: $callId) { recording { state } } }`;
const DOWNLOAD = `mutation($id: ID!) { createRecordingDownload(recordingId: $id) { url } }`;
const RECORDING = `query($id: ID!) { recording(id: $id) { durationMs sizeBytes pauseIntervals { startOffsetMs endOffsetMs } } }`;

let p: ProcessScenario;
beforeAll(async () => {
  p = await startProcessScenario();
}, 60_000);
afterAll(() => p?.close());

const uploadBytes = () => {
  const dir = path.join(p.dataDir, "media", "uploads");
  return fs.existsSync(dir) ? fs.readdirSync(dir).reduce((sum, file) => sum + fs.statSync(path.join(dir, file)).size, 0) : 0;
};

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const power = (decoded: DecodedMp3, fromMs: number, toMs: number, hz: number) => tonePower(decoded.pcm, fromMs, toMs, hz, DECODED_DELAY_SAMPLES);
const recordedMs = (decoded: DecodedMp3) => (decoded.samplesDecoded - DECODED_DELAY_SAMPLES) / SAMPLES_PER_MS;

/** Start (recording time) of every 10 ms block where a tone is within `threshold` of full power. */
function blocksWith(decoded: DecodedMp3, hz: number, threshold: number): number[] {
  const samples = 10 * SAMPLES_PER_MS;
  const found: number[] = [];
  for (let start = DECODED_DELAY_SAMPLES; start + samples <= decoded.pcm.length; start += samples) {
    if (goertzelPower(decoded.pcm.subarray(start, start + samples), SAMPLE_RATE_HZ, hz) > threshold) found.push((start - DECODED_DELAY_SAMPLES) / SAMPLES_PER_MS);
  }
  return found;
}

describe("a call whose ingesting process is SIGKILLed, restarted and reconnected", () => {
  it("ends as one MP3 holding both parts in order, on the call's clock, with the card number cut on both sides of the crash", async () => {
    const { startCall } = await p.api(START_CALL, { input: { customerId: p.customerId, agentId: p.agentId } }, p.tokens.gateway);
    const callId: string = startCall.call.id;
    const recordingId: string = startCall.recording.id;

    // Before the crash: the agent talks (440 Hz), pauses, and the customer starts reading the card (1 kHz).
    let cardFrom = Infinity;
    const first = await PacedTwilioStream.start(p.service.url, p.tokens.gateway, callId, (ms) => (ms >= cardFrom ? { inbound: CARD_HZ } : ms < 3500 ? { outbound: VOICE_BEFORE_HZ } : {}));
    await first.playUntil(3500);
    const paused = await first.playDuring(p.api(PAUSE, { id: recordingId }, p.tokens.gateway));
    expect(paused.pauseRecording.state).toBe("PAUSED");
    cardFrom = first.sentUntilMs + READ_DELAY_MS;
    await first.playDuring(until(() => uploadBytes() >= DURABLE_BYTES, "two sealed segments in the upload"));
    expect(await p.service.kill()).toEqual({ code: null, signal: "SIGKILL" });
    first.client.terminate();
    expect((await p.db.getRepository(RecordingMediaEntity).findOneBy({ recordingId }))?.status).toBe(MediaStatus.WRITING);

    // After the restart the gateway reconnects: the card number goes on, then the agent resumes and talks (600 Hz).
    await p.restart();
    let resumed = false;
    const second = await PacedTwilioStream.start(p.service.url, p.tokens.gateway, callId, (ms) => (resumed ? { outbound: VOICE_AFTER_HZ } : ms < 1000 ? { inbound: CARD_HZ } : {}));
    await second.playUntil(1000 + READ_DELAY_MS);
    const resumedResponse = await second.playDuring(p.api(RESUME, { id: recordingId }, p.tokens.gateway));
    expect(resumedResponse.resumeRecording.state).toBe("RECORDING");
    resumed = true;
    const voiceAfterFromWall = Date.now();
    await second.playUntil(second.nowMs + 2000);
    await second.stop();
    const endWall = Date.now();
    expect((await p.api(END_CALL, { callId }, p.tokens.gateway)).endCall.recording.state).toBe("AVAILABLE");

    const { url } = (await p.api(DOWNLOAD, { id: recordingId }, p.tokens.compliance)).createRecordingDownload;
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const mp3 = new Uint8Array(await response.arrayBuffer());
    const decoded = await decodeMp3(mp3);
    expect(decoded.errors).toEqual([]);
    const { recording } = await p.api(RECORDING, { id: recordingId }, p.tokens.compliance);
    expect(recording.sizeBytes).toBe(mp3.length);

    // One file on the call's clock: as long as the call streamed, crash gap included (as silence).
    const callMs = endWall - first.startedAt;
    expect(Math.abs(recordedMs(decoded) - callMs)).toBeLessThan(CLOCK_TOLERANCE_MS + 400);
    expect(Math.abs(recording.durationMs - recordedMs(decoded))).toBeLessThan(CLOCK_TOLERANCE_MS);

    // Both parts, in order: the agent before the crash, the agent after it, nowhere else.
    expect(power(decoded, 500, 3000, VOICE_BEFORE_HZ)).toBeGreaterThan(PRESENT);
    expect(power(decoded, 500, 3000, VOICE_AFTER_HZ)).toBeLessThan(ABSENT);
    const afterFrom = voiceAfterFromWall - first.startedAt;
    expect(power(decoded, afterFrom + 500, afterFrom + 1500, VOICE_AFTER_HZ)).toBeGreaterThan(PRESENT);
    expect(power(decoded, afterFrom + 500, afterFrom + 1500, VOICE_BEFORE_HZ)).toBeLessThan(ABSENT);
    const firstAfterVoice = blocksWith(decoded, VOICE_AFTER_HZ, PRESENT)[0];
    expect(Math.abs(firstAfterVoice - afterFrom)).toBeLessThan(CLOCK_TOLERANCE_MS);

    // The card number, read on both sides of the crash, is nowhere within 20 dB of speech.
    expect(blocksWith(decoded, CARD_HZ, AUDIBLE)).toEqual([]);

    // The stored pause points at the audio it cut: it starts after the first voice, ends where the second begins.
    expect(recording.pauseIntervals).toHaveLength(1);
    const [interval] = recording.pauseIntervals;
    expect(interval.endOffsetMs).toBeLessThanOrEqual(recording.durationMs);
    expect(Math.abs(interval.startOffsetMs - 3500)).toBeLessThan(CLOCK_TOLERANCE_MS);
    expect(Math.abs(interval.endOffsetMs - firstAfterVoice)).toBeLessThan(CLOCK_TOLERANCE_MS);
    for (const hz of [VOICE_BEFORE_HZ, VOICE_AFTER_HZ, CARD_HZ]) expect(power(decoded, interval.startOffsetMs + 200, interval.endOffsetMs - 200, hz)).toBeLessThan(ABSENT);
  }, 90_000);
});
