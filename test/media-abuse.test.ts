/**
 * /media under abuse: junk sockets (garbage, and "media" whose timestamps run far ahead of the clock) from one
 * API user, sent by another process as fast as the connections take it, next to a real call from another API
 * user on the same instance. The real call keeps all its audio, /health stays fast, memory stays bounded, and
 * sockets over a quota are closed with their code. Also: the stream is bound to the wall clock.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Role } from "../src/auth/role";
import { MEDIA_CLOSE } from "../src/ingest/twilio-media-stream";
import { buildTwilioMediaMessage } from "../src/media/twilio-media-message";
import { DECODED_DELAY_SAMPLES } from "./media/support/mp3-timing";
import { decodeMp3 } from "./media/support/decode-mp3";
import { FRAME_MS, interleave, trackFrames } from "./media/support/synthetic-call";
import { fullTonePower, tonePower } from "./media/support/tone-measure";
import { gql } from "./support/graphql-client";
import { Scenario, startCall, startScenarioApp } from "./support/scenario";
import { TestApp, TestUser } from "./support/test-app";
import { TwilioStreamClient } from "./support/twilio-stream-client";

const MAX_STREAMS = 40;
const MAX_STREAMS_PER_USER = 20;
const JUNK_SOCKETS = MAX_STREAMS_PER_USER + 10;
const ATTACK_MS = 3000;
const MAX_CALL_SECONDS = 2;
const CLOCK_TOLERANCE_MS = 1000;
const END_CALL = `mutation($callId: ID!) { endCall(callId: $callId) { recording { id state durationMs } } }`;
const TONE = { frequencyHz: 440, amplitude: 8000 };

let t: TestApp;
let s: Scenario;
let attacker: TestUser;
beforeAll(async () => {
  ({ t, s } = await startScenarioApp({
    operations: { ingest: { maxStreams: MAX_STREAMS, maxStreamsPerUser: MAX_STREAMS_PER_USER, clockToleranceMs: CLOCK_TOLERANCE_MS } },
  }));
  attacker = await t.user([Role.API_USER], "attacker");
});
afterAll(() => t.close());

const storedMp3 = async (recordingId: string) => (await t.app.services.media.openAudio(recordingId)).reader.readAll();
const health = (url: string) => url.replace(/\/graphql$/, "/health");

/** Plays `ms` of tone on both tracks in real time, one frame pair per 20 ms, then stops; resolves with the close. */
async function playRealCall(app: TestApp, token: string, callId: string, ms: number) {
  const stream = await TwilioStreamClient.connect(app.url, TwilioStreamClient.bearer(token));
  stream.start({ callId });
  const frames = interleave(trackFrames("inbound", ms, [{ fromMs: 0, toMs: ms, ...TONE }]), trackFrames("outbound", ms, []));
  const startedAt = Date.now();
  for (let sent = 0; sent < frames.length; ) {
    const due = Math.min(frames.length, 2 * (Math.floor((Date.now() - startedAt) / FRAME_MS) + 1));
    if (due > sent) stream.sendFrames(frames.slice(sent, due));
    sent = Math.max(sent, due);
    await sleep(5);
  }
  stream.stop();
  return stream.closed;
}

/** Times /health every 50 ms until stopped; returns the answers' times, slowest first. */
function watchHealth() {
  const times: number[] = [];
  let failures = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const startedAt = performance.now();
      const response = await fetch(health(t.url)).catch(() => undefined);
      if (response?.status !== 200) failures++;
      times.push(performance.now() - startedAt);
      await sleep(50);
    }
  })();
  return async () => {
    running = false;
    await done;
    return { times: times.sort((a, b) => b - a), failures };
  };
}

describe("the junk-socket attack next to a real call", () => {
  it("keeps the real call's audio complete, /health fast and memory bounded; refuses the junk without a server error", async () => {
    // Ten of the attacker's sockets stream into live calls with timestamps jumping 4.9 s a frame.
    const jumpyCalls: string[] = [];
    for (let i = 0; i < 10; i++) jumpyCalls.push((await startCall(t, s, await t.user([Role.AGENT], `victim-${i}`))).callId);
    const real = await startCall(t, s, await t.user([Role.AGENT], "real-agent"));
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 50);
    const stopHealth = watchHealth();




    const attackStartedAt = Date.now();
    const attack = promisify(execFile)(process.execPath, [path.join(__dirname, "support/junk-sockets.mjs"), t.url.replace(/^http/, "ws").replace(/\/graphql$/, "/media"), attacker.token, String(JUNK_SOCKETS), String(ATTACK_MS), jumpyCalls.join(",")]);
    await sleep(300);
    const realClose = await playRealCall(t, s.apiUser.token, real.callId, 2000);
    const { stdout } = await attack;
    const { times, failures } = await stopHealth();
    clearInterval(sampler);

    const report = JSON.parse(stdout) as { connections: number; closeCodes: Record<string, number> };
    expect(realClose).toEqual({ code: 1000, reason: "stream stopped" });
    // Junk is refused (1007 invalid, 1008 over quota) or cut off, never a server error.
    expect(report.connections).toBeGreaterThanOrEqual(JUNK_SOCKETS);
    expect(report.closeCodes[MEDIA_CLOSE.internal]).toBeUndefined();
    expect(failures).toBe(0);
    // The target is 100 ms; on a machine shared with other test runs the slowest answer is the scheduler's.
    // The median is what the attack itself could move (the reported failure: 126 s).
    expect(times[Math.floor(times.length / 2)]).toBeLessThan(500);
    expect(times[0]).toBeLessThan(3000);
    expect(rssPeak - rssBefore).toBeLessThan(300 * 1024 * 1024);

    const ended = await gql(t.url, END_CALL, { callId: real.callId }, s.apiUser.token);
    expect(ended.data?.endCall.recording).toMatchObject({ state: "AVAILABLE", durationMs: 2000 });
    // Every 100 ms of the real call holds its tone: no frame of it was dropped.
    const { pcm } = await decodeMp3(await storedMp3(real.recordingId));
    for (let fromMs = 0; fromMs + 100 <= 1900; fromMs += 100) {
      expect(tonePower(pcm, fromMs, fromMs + 100, 440, DECODED_DELAY_SAMPLES)).toBeGreaterThan(fullTonePower(TONE.amplitude) / 2);
    }
    // The jumping calls (81 minutes of "audio" in seconds, as reported) recorded no more than the time that passed.
    const elapsedMs = Date.now() - attackStartedAt;
    for (const callId of jumpyCalls) {
      const { data } = await gql(t.url, END_CALL, { callId }, s.apiUser.token);
      expect(data?.endCall.recording.durationMs ?? 0).toBeLessThanOrEqual(elapsedMs + CLOCK_TOLERANCE_MS);
    }
    expect(t.logs.filter((line) => /media stream failed/.test(line))).toEqual([]);
  }, 60_000);

  it("closes a stream over the per-user quota with 1008; admits one again once a stream ended", async () => {
    const gateway = await t.user([Role.API_USER], "gw-quota");
    const streams: TwilioStreamClient[] = [];
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) streams.push(await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(gateway.token)));
    const over = await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(gateway.token));
    expect(await over.closed).toEqual({ code: MEDIA_CLOSE.policy, reason: `at most ${MAX_STREAMS_PER_USER} concurrent media streams per API user` });
    streams[0].terminate();
    await streams[0].closed;
    // New streams come back at the quota's worth per 10 s (one per 500 ms here).
    await sleep(10_000 / MAX_STREAMS_PER_USER + 100);
    const again = await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(gateway.token));
    const outcome = await Promise.race([again.closed, sleep(300).then(() => "open")]);
    expect(outcome).toBe("open");
    for (const stream of [...streams, again]) stream.terminate();
    await Promise.all([...streams, again].map((stream) => stream.closed));
  });

  it("closes a stream over the instance's cap with 1013", async () => {
    const users = [await t.user([Role.API_USER], "gw-a"), await t.user([Role.API_USER], "gw-b")];
    const streams: TwilioStreamClient[] = [];
    for (let i = 0; i < MAX_STREAMS; i++) streams.push(await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(users[i % 2].token)));
    const over = await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(s.apiUser.token));
    expect(await over.closed).toEqual({ code: MEDIA_CLOSE.overloaded, reason: expect.stringMatching(new RegExp(`maximum of ${MAX_STREAMS} media streams`)) });
    for (const stream of streams) stream.terminate();
    await Promise.all(streams.map((stream) => stream.closed));
  });
});

describe("streams bound to the clock", () => {
  let clocked: TestApp;
  let cs: Scenario;
  beforeAll(async () => {
    ({ t: clocked, s: cs } = await startScenarioApp({ operations: { ingest: { maxCallMs: MAX_CALL_SECONDS * 1000, clockToleranceMs: CLOCK_TOLERANCE_MS } } }));
  });
  afterAll(() => clocked.close());

  it("refuses frames far ahead of the wall clock and closes the stream once they add up", async () => {
    const { callId } = await startCall(clocked, cs, await clocked.user([Role.AGENT], "clock-agent"));
    const stream = await TwilioStreamClient.connect(clocked.url, TwilioStreamClient.bearer(cs.apiUser.token));
    stream.start({ callId });
    const frame = trackFrames("inbound", 20, [{ fromMs: 0, toMs: 20, ...TONE }])[0];
    for (let i = 1; i <= 1000; i++) stream.send(buildTwilioMediaMessage({ ...frame, timestampMs: i * 4900 }, stream.streamSid, i));
    expect(await stream.closed).toEqual({ code: MEDIA_CLOSE.invalid, reason: expect.stringMatching(/ahead of the clock/) });
    const { data } = await gql(clocked.url, END_CALL, { callId }, cs.apiUser.token);
    // Only the frames within the tolerance were taken: a few seconds at most, not 81 minutes.
    expect(data?.endCall.recording.durationMs ?? 0).toBeLessThanOrEqual(CLOCK_TOLERANCE_MS + 1000);
  });

  it("ends a call that reaches the maximum length, keeping its audio", async () => {
    const { callId, recordingId } = await startCall(clocked, cs, await clocked.user([Role.AGENT], "long-call-agent"));
    const closed = await playRealCall(clocked, cs.apiUser.token, callId, (MAX_CALL_SECONDS + 1) * 1000);
    expect(closed).toEqual({ code: MEDIA_CLOSE.policy, reason: `maximum call length of ${MAX_CALL_SECONDS} s reached` });
    const { data } = await gql(clocked.url, END_CALL, { callId }, cs.apiUser.token);
    expect(data?.endCall.recording.state).toBe("AVAILABLE");
    expect(data?.endCall.recording.durationMs).toBeGreaterThanOrEqual(MAX_CALL_SECONDS * 1000 - 200);
    expect(data?.endCall.recording.durationMs).toBeLessThanOrEqual(MAX_CALL_SECONDS * 1000 + 100);
    expect((await (await clocked.app.services.media.openAudio(recordingId)).reader.readAll()).length).toBeGreaterThan(0);
  });
});
