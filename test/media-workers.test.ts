/**
 * The media pipeline's worker threads, through the real server: calls are spread over the workers, a
 * worker that crashes (an uncaught exception in the thread, injected by CALLVAULT_FAULT) fails exactly the
 * calls it was running, with a clear log line, a 1011 close and a FAILED recording, while a call on
 * another worker is recorded whole; the crashed worker is replaced, and shutdown terminates the threads.
 */
import fs from "node:fs";
import os from "node:os";
import type { MediaFrame } from "../src/media/media-frame";
import { nativeLame } from "../src/media/lame-native";
import { Mp3EncoderKind, useMp3Encoder } from "../src/media/mp3-encoder";
import { RecordingPipeline } from "../src/media/recording-pipeline";
import { MediaWorkerPool } from "../src/media-workers/media-worker-pool";
import { DECODED_DELAY_SAMPLES } from "./media/support/mp3-timing";
import { decodeMp3 } from "./media/support/decode-mp3";
import { interleave, trackFrames } from "./media/support/synthetic-call";
import { fullTonePower, tonePower } from "./media/support/tone-measure";
import { gql } from "./support/graphql-client";
import { recordTone } from "./support/record-audio";
import { PAUSE, Scenario, startCall, startScenarioApp } from "./support/scenario";
import { TestApp } from "./support/test-app";
import { TwilioStreamClient } from "./support/twilio-stream-client";

const END_CALL = `mutation($callId: ID!) { endCall(callId: $callId) { recording { id state durationMs } } }`;
const TONE = { frequencyHz: 440, amplitude: 8000 };

/** Both tracks from `fromMs` to `toMs` of stream time, a 440 Hz tone on the inbound one. */
function toneFrames(fromMs: number, toMs: number): MediaFrame[] {
  const shift = (frames: MediaFrame[]) => frames.map((frame) => ({ ...frame, timestampMs: frame.timestampMs + fromMs }));
  const ms = toMs - fromMs;
  return interleave(shift(trackFrames("inbound", ms, [{ fromMs: 0, toMs: ms, ...TONE }])), shift(trackFrames("outbound", ms, [])));
}

async function openStream(t: TestApp, s: Scenario, callId: string): Promise<TwilioStreamClient> {
  const stream = await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(s.apiUser.token));
  stream.start({ callId });
  return stream;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (const startedAt = Date.now(); !condition(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (Date.now() - startedAt > 5000) throw new Error(`timed out waiting for ${what}`);
  }
}

describe("a media worker that crashes", () => {
  let t: TestApp;
  let s: Scenario;
  beforeAll(async () => {
    process.env.CALLVAULT_FAULT = "media-worker-crash-on-pause";
    try {
      ({ t, s } = await startScenarioApp({ mediaPipeline: { workers: 2 } }));
    } finally {
      delete process.env.CALLVAULT_FAULT;
    }
  });
  afterAll(() => t.close());

  it("fails only the calls it was running, clearly; a call on the other worker is recorded whole", async () => {
    const doomed = await startCall(t, s);
    const healthy = await startCall(t, s, s.otherAgent);
    const doomedStream = await openStream(t, s, doomed.callId);
    await waitFor(() => t.app.services.sessions.has(doomed.recordingId), "the first session");
    const healthyStream = await openStream(t, s, healthy.callId);
    await waitFor(() => t.app.services.sessions.has(healthy.recordingId), "the second session");
    // Least busy first: one call on each worker.
    expect(t.app.services.mediaWorkers.runningWorkers).toBe(2);
    doomedStream.sendFrames(toneFrames(0, 1000));
    healthyStream.sendFrames(toneFrames(0, 1000));
    await Promise.all([doomedStream.flushed(), healthyStream.flushed()]);

    // The pause reaches the doomed call's worker, which dies of it (the injected fault).
    expect((await gql(t.url, PAUSE, { input: { recordingId: doomed.recordingId } }, s.agent.token)).data?.pauseRecording.state).toBe("PAUSED");
    expect(await doomedStream.closed).toEqual({ code: 1011, reason: "internal error" });
    expect(t.logs.some((line) => /media worker \d \(thread \d+\) crashed; its 1 live call\(s\) failed/.test(line) && line.includes("fault injected"))).toBe(true);

    // The other call goes on, on its own worker, and is complete.
    healthyStream.sendFrames(toneFrames(1000, 2000));
    healthyStream.stop();
    expect((await healthyStream.closed).code).toBe(1000);
    const healthyEnd = await gql(t.url, END_CALL, { callId: healthy.callId }, s.apiUser.token);
    expect(healthyEnd.data?.endCall.recording).toMatchObject({ state: "AVAILABLE", durationMs: 2000 });
    const { pcm } = await decodeMp3(await (await t.app.services.media.openAudio(healthy.recordingId)).reader.readAll());
    expect(tonePower(pcm, 100, 1900, 440, DECODED_DELAY_SAMPLES)).toBeGreaterThan(fullTonePower(TONE.amplitude) / 2);

    // The crashed call keeps nothing: no half-finished MP3 is passed off as the recording.
    const doomedEnd = await gql(t.url, END_CALL, { callId: doomed.callId }, s.apiUser.token);
    expect(doomedEnd.data?.endCall.recording).toMatchObject({ state: "FAILED" });

    // The crashed worker is replaced for the next call.
    const next = await startCall(t, s);
    await recordTone(t, s.apiUser.token, next.callId, 500);
    expect((await gql(t.url, END_CALL, { callId: next.callId }, s.apiUser.token)).data?.endCall.recording).toMatchObject({ state: "AVAILABLE", durationMs: 500 });
    expect(t.app.services.mediaWorkers.runningWorkers).toBe(2);
  });
});

describe("shutting down", () => {
  it("terminates every media worker once the live calls are finished", async () => {
    const { t, s } = await startScenarioApp({ mediaPipeline: { workers: 2 } });
    const workers = t.app.services.mediaWorkers;
    expect(workers.runningWorkers).toBe(0);
    const { callId, recordingId } = await startCall(t, s);
    const stream = await openStream(t, s, callId);
    await waitFor(() => t.app.services.sessions.has(recordingId), "the session");
    stream.sendFrames(toneFrames(0, 1000));
    await stream.flushed();
    expect(workers.runningWorkers).toBe(1);

    await t.close();
    expect(workers.runningWorkers).toBe(0);
    expect(workers.backlogBatches).toBe(0);
    expect(t.logs.filter((line) => line.includes("crashed"))).toEqual([]);
    expect(() => workers.open("silence", { frames() {}, pause() {}, mp3() {}, failed() {} })).toThrow("shut down");
  });
});

describe("priority", () => {
  const threads = () => new Set(fs.readdirSync(`/proc/${process.pid}/task`));
  const niceOf = (thread: string) => {
    const stat = fs.readFileSync(`/proc/${process.pid}/task/${thread}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  };

  // Linux only (per-thread nice through /proc): elsewhere the workers keep the process's priority.
  (fs.existsSync("/proc/thread-self") ? it : it.skip)("runs the workers MEDIA_WORKER_NICENESS levels below the event loop, which keeps its own", async () => {
    const before = threads();
    const pool = new MediaWorkerPool({ size: 1, niceness: 5, log: () => undefined });
    try {
      // A finished pipeline has been through the worker: it started, and lowered its priority first.
      await pool.open("silence", { frames() {}, pause() {}, mp3() {}, failed() {} }).finish();
      const started = [...threads()].filter((thread) => !before.has(thread));
      expect(started.map(niceOf)).toContain(Math.min(19, os.getPriority() + 5));
      expect(niceOf(String(process.pid))).toBe(os.getPriority());
    } finally {
      await pool.close();
    }
  });
});

describe("the LAME build of the workers", () => {
  const kinds: Mp3EncoderKind[] = nativeLame() ? ["native", "wasm"] : ["wasm"];
  const frames = toneFrames(0, 2000);

  it.each(kinds)("is the one the pool was given (%s): the worker's MP3 is that build's, byte for byte", async (kind) => {
    const pool = new MediaWorkerPool({ size: 1, mp3Encoder: kind, log: () => undefined });
    try {
      const pipeline = pool.open("silence", { frames() {}, pause() {}, mp3() {}, failed() {} });
      for (const frame of frames) pipeline.pushFrame(frame);
      const fromWorker = await pipeline.finish();

      const inProcess = async (build: Mp3EncoderKind) => {
        useMp3Encoder(build);
        const local = await RecordingPipeline.create({ cutter: { behavior: "silence" } });
        for (const frame of frames) local.pushFrame(frame);
        return local.finish().summary;
      };
      try {
        expect(fromWorker.sha256Hex).toBe((await inProcess(kind)).sha256Hex);
        for (const other of kinds.filter((build) => build !== kind)) expect(fromWorker.sha256Hex).not.toBe((await inProcess(other)).sha256Hex);
      } finally {
        useMp3Encoder("auto");
      }
    } finally {
      await pool.close();
    }
  });
});
