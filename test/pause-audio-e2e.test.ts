/**
 * The acceptance test of pause and resume, end to end: a real Twilio Media Streams client streams a
 * call in real time over the media WebSocket, an integration pauses and resumes it over GraphQL while
 * a "card number" (a 1 kHz tone) is read, and the MP3 a Compliance Administrator downloads through a
 * signed link is decoded and measured. The card number must not be in it; the rest of the call must.
 *
 * Timing: the server places a pause on the stream's timeline by wall-clock time, counted from when the
 * stream's `start` arrived. So the client stamps frames in stream time and sends them paced against its
 * own clock, started when it sent `start`, never more than AHEAD_MS ahead (Twilio sends in real time).
 * The client's clock starts before the server's, so the client's stream time is never behind the
 * server's; the difference (the server's start-up lag) is measured and allowed for where it matters.
 * A pause cuts from PAUSE_GUARD_MS before its request arrived; a resume takes effect when it commits.
 */
import { Role } from "../src/auth/role";
import type { PauseBehavior } from "../src/config/config";
import { goertzelPower } from "../src/media/analysis/goertzel";
import { sineTone } from "../src/media/analysis/tone";
import { MediaFrame, SAMPLE_RATE_HZ, SAMPLES_PER_MS, Track } from "../src/media/media-frame";
import { encodeMulaw, MULAW_SILENCE } from "../src/media/mulaw";
import { decodeMp3, DecodedMp3 } from "./media/support/decode-mp3";
import { DECODED_DELAY_SAMPLES } from "./media/support/mp3-timing";
import { FRAME_MS, FRAME_SAMPLES } from "./media/support/synthetic-call";
import { fullTonePower, tonePower } from "./media/support/tone-measure";
import { gql } from "./support/graphql-client";
import { createScenario, PAUSE, RESUME, Scenario, startCall, startScenarioApp } from "./support/scenario";
import { startTestApp, TestApp } from "./support/test-app";
import { TwilioStreamClient } from "./support/twilio-stream-client";

const VOICE_HZ = 440;
const CARD_HZ = 1000;
const AMPLITUDE = 8000;
/** 440 Hz before the pause. */
const BEFORE_MS = 1500;
const CARD_MS = 1000;
/** 440 Hz after the resume. */
const AFTER_MS = 1200;
/** How far ahead of the clock audio is sent: a little jitter, well inside the server's hold-back. */
const AHEAD_MS = 100;
/** In the late-pause run: this much of the card number has been sent when the pause is requested. */
const LATE_AHEAD_MS = 250;
/** The agent resumes this long (plus the server's start-up lag) after the card number was read. */
const RESUME_GUARD_MS = 150;
/** Measurement windows keep this far from any edge: MP3 frames (72 ms) smear a cut. */
const EDGE_MS = 100;
/** PAUSE_GUARD_MS: a pause cuts from this long before its request arrived. */
const GUARD_MS = 100;

const FULL = fullTonePower(AMPLITUDE);
/** A tone that is there: within 3 dB of its full power after μ-law, mixing and MP3. */
const PRESENT = 0.5 * FULL;
/** A tone that is not: 30 dB down. MP3 coding noise of the 440 Hz tone stays far below this at 1 kHz. */
const ABSENT = 1e-3 * FULL;

const END_CALL = `mutation($callId: ID!) { endCall(callId: $callId) { recording { id state } } }`;
const DOWNLOAD = `mutation($id: ID!) { createRecordingDownload(recordingId: $id) { url } }`;
const INTERVALS = `query($id: ID!) { recording(id: $id) { pauseIntervals { startedAt endedAt } } }`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What each track plays at a stream time; a missing track is silent. */
type Score = (stampMs: number) => Partial<Record<Track, number>>;

function frameAt(track: Track, timestampMs: number, frequencyHz: number | undefined): MediaFrame {
  const mulaw = frequencyHz
    ? encodeMulaw(sineTone({ frequencyHz, amplitude: AMPLITUDE, sampleRateHz: SAMPLE_RATE_HZ, samples: FRAME_SAMPLES, startSample: timestampMs * SAMPLES_PER_MS }))
    : new Uint8Array(FRAME_SAMPLES).fill(MULAW_SILENCE);
  return { track, timestampMs, chunk: timestampMs / FRAME_MS + 1, mulaw };
}

/** The telephony gateway's side of one call: Twilio frames stamped in stream time, sent paced against the clock. */
class PacedStream {
  /** The stream time of the next frame to send. */
  sentUntilMs = 0;

  private constructor(
    private readonly client: TwilioStreamClient,
    private readonly startedAt: number,
    public score: Score,
    /** Upper bound of how long after the client's clock the server's stream clock started. */
    readonly serverLagMs: number,
  ) {}

  static async start(t: TestApp, token: string, ids: { callId: string; recordingId: string }, score: Score): Promise<PacedStream> {
    const client = await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(token));
    const startedAt = Date.now();
    client.start({ callId: ids.callId });
    // The server's stream clock starts while it opens the session, so it is registered no earlier than that.
    while (!t.app.services.sessions.has(ids.recordingId)) {
      if (Date.now() - startedAt > 5000) throw new Error("the media session never opened");
      await sleep(2);
    }
    return new PacedStream(client, startedAt, score, Date.now() - startedAt);
  }

  /** Stream time by the client's clock. */
  get nowMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Sends every frame that starts before `stampMs` and has not been sent. */
  sendBefore(stampMs: number): void {
    const frames: MediaFrame[] = [];
    for (; this.sentUntilMs + FRAME_MS <= stampMs; this.sentUntilMs += FRAME_MS) {
      const tones = this.score(this.sentUntilMs);
      frames.push(frameAt("inbound", this.sentUntilMs, tones.inbound), frameAt("outbound", this.sentUntilMs, tones.outbound));
    }
    this.client.sendFrames(frames);
  }

  /** Plays in real time until the clock reads `untilMs`. */
  async playUntil(untilMs: number, aheadMs = AHEAD_MS): Promise<void> {
    for (;;) {
      this.sendBefore(this.nowMs + aheadMs);
      if (this.nowMs >= untilMs) return;
      await sleep(10);
    }
  }

  /** Keeps playing in real time while `work` (e.g. a mutation) is in flight, as the call goes on meanwhile. */
  async playDuring<T>(work: Promise<T>, aheadMs = AHEAD_MS): Promise<T> {
    let settled = false;
    const done = work.finally(() => (settled = true));
    while (!settled) {
      this.sendBefore(this.nowMs + aheadMs);
      await Promise.race([done.catch(() => undefined), sleep(10)]);
    }
    return done;
  }

  async stop(): Promise<void> {
    this.client.stop();
    const closed = await this.client.closed;
    if (closed.code !== 1000) throw new Error(`media stream closed with ${closed.code} ${closed.reason}`);
  }
}

interface RecordedCall {
  decoded: DecodedMp3;
  /** Stream times (client clock) of what was played and done. */
  cardFromMs: number;
  cardToMs: number;
  pauseRequestedMs: number;
  resumedMs: number;
  endMs: number;
  serverLagMs: number;
  /** The paused span as the control plane recorded it. */
  interval: { startedAt: number; endedAt: number };
  /** Wall-clock time of the client's stream time 0. */
  streamStartedAt: number;
}

async function endAndDownload(t: TestApp, s: Scenario, ids: { callId: string; recordingId: string }): Promise<DecodedMp3> {
  const ended = await gql(t.url, END_CALL, { callId: ids.callId }, s.apiUser.token);
  expect(ended.data?.endCall.recording).toEqual({ id: ids.recordingId, state: "AVAILABLE" });
  const issued = await gql(t.url, DOWNLOAD, { id: ids.recordingId }, s.compliance.token);
  expect(issued.errors).toBeUndefined();
  const response = await fetch(issued.data!.createRecordingDownload.url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("audio/mpeg");
  const decoded = await decodeMp3(new Uint8Array(await response.arrayBuffer()));
  expect(decoded.errors).toEqual([]);
  expect(decoded.sampleRate).toBe(SAMPLE_RATE_HZ);
  return decoded;
}

/**
 * 440 Hz, then the integration pauses (holdKey "card-field") and the card number is read at 1 kHz,
 * then it resumes and 440 Hz goes on. `late`: the card number starts at BEFORE_MS and its first
 * LATE_AHEAD_MS have already been sent when the pause is requested at BEFORE_MS; otherwise the card
 * number is read once the pause is confirmed, as an agent would after seeing "Recording Paused".
 */
async function pausedCall(t: TestApp, s: Scenario, options: { late: boolean; cardOnClick?: boolean; control?: TestApp; aheadMs?: number }): Promise<RecordedCall> {
  // The stream goes to `t`; the pause, resume, end and download may go to another instance (`control`).
  const control = options.control ?? t;
  const ids = await startCall(t, s, await t.user([Role.AGENT], "e2e-agent"));
  let card = options.late ? { from: BEFORE_MS, to: BEFORE_MS + CARD_MS } : { from: Infinity, to: Infinity };
  const score: Score = (ms) => (ms >= card.from && ms < card.to ? { inbound: CARD_HZ } : { outbound: VOICE_HZ });
  const ahead = options.aheadMs ?? (options.late ? LATE_AHEAD_MS : AHEAD_MS);
  const stream = await PacedStream.start(t, s.apiUser.token, ids, score);
  const streamStartedAt = Date.now() - stream.nowMs;

  await stream.playUntil(BEFORE_MS, ahead);
  if (options.late) expect(stream.sentUntilMs - BEFORE_MS).toBeGreaterThanOrEqual(LATE_AHEAD_MS - 2 * FRAME_MS);
  const pauseRequestedMs = stream.nowMs;
  // `cardOnClick`: the customer starts reading the moment the agent clicks, before the pause is confirmed.
  if (options.cardOnClick) card = { from: Math.ceil(pauseRequestedMs / FRAME_MS) * FRAME_MS, to: Math.ceil(pauseRequestedMs / FRAME_MS) * FRAME_MS + CARD_MS };
  const paused = await stream.playDuring(gql(control.url, PAUSE, { input: { recordingId: ids.recordingId, holdKey: "card-field" } }, s.apiUser.token), ahead);
  expect(paused.data?.pauseRecording.state).toBe("PAUSED");
  if (!options.late && !options.cardOnClick) card = { from: stream.sentUntilMs, to: stream.sentUntilMs + CARD_MS };

  await stream.playUntil(card.to + stream.serverLagMs + RESUME_GUARD_MS, ahead);
  const resumed = await stream.playDuring(gql(control.url, RESUME, { input: { recordingId: ids.recordingId, holdKey: "card-field" } }, s.apiUser.token), ahead);
  expect(resumed.data?.resumeRecording.state).toBe("RECORDING");
  const resumedMs = stream.nowMs;
  await stream.playUntil(resumedMs + AFTER_MS, ahead);
  const endMs = stream.sentUntilMs;
  await stream.stop();

  const decoded = await endAndDownload(control, s, ids);
  const intervals = (await gql(control.url, INTERVALS, { id: ids.recordingId }, s.compliance.token)).data?.recording.pauseIntervals as { startedAt: string; endedAt: string }[];
  expect(intervals).toHaveLength(1);
  const interval = { startedAt: Date.parse(intervals[0].startedAt), endedAt: Date.parse(intervals[0].endedAt) };
  return { decoded, cardFromMs: card.from, cardToMs: card.to, pauseRequestedMs, resumedMs, endMs, serverLagMs: stream.serverLagMs, interval, streamStartedAt };
}

/** Power of a tone over [fromMs, toMs) of the recording's timeline. */
const power = (decoded: DecodedMp3, fromMs: number, toMs: number, frequencyHz: number) => tonePower(decoded.pcm, fromMs, toMs, frequencyHz, DECODED_DELAY_SAMPLES);

/** The recording's length in ms, from the decoded samples (less the codec delay). */
const recordedMs = (decoded: DecodedMp3) => (decoded.samplesDecoded - DECODED_DELAY_SAMPLES) / SAMPLES_PER_MS;

/** Power of a tone in each 50 ms block of the whole recording. */
function blockPowers(decoded: DecodedMp3, frequencyHz: number): { atMs: number; power: number }[] {
  const blocks: { atMs: number; power: number }[] = [];
  for (let atMs = 0; atMs + 50 <= recordedMs(decoded); atMs += 50) blocks.push({ atMs, power: power(decoded, atMs, atMs + 50, frequencyHz) });
  return blocks;
}

/**
 * The card tone's energy in the whole recording, as milliseconds of it at full power (the control: ~1000).
 * Clicks where audio meets a cut spread a little energy over every frequency; they add up to far under 1 ms.
 */
const cardEnergyMs = (decoded: DecodedMp3) => blockPowers(decoded, CARD_HZ).reduce((sum, block) => sum + (block.power / FULL) * 50, 0);

/** 10 ms (80 samples) holds exactly 10 periods of 1 kHz; the 440 Hz voice leaks into that bin at about -25 dB. */
const AUDIBLE_BLOCK_MS = 10;

/**
 * Where the card number can be heard: the start of every 10 ms block in which 1 kHz is within 6 dB of
 * full power, i.e. the tone fills at least half the block. Their count × 10 ms is how much was recorded.
 */
function audibleCard(decoded: DecodedMp3): number[] {
  const samples = AUDIBLE_BLOCK_MS * SAMPLES_PER_MS;
  const audible: number[] = [];
  for (let start = DECODED_DELAY_SAMPLES; start + samples <= decoded.pcm.length; start += samples) {
    if (goertzelPower(decoded.pcm.subarray(start, start + samples), SAMPLE_RATE_HZ, CARD_HZ) > 0.25 * FULL) {
      audible.push((start - DECODED_DELAY_SAMPLES) / SAMPLES_PER_MS);
    }
  }
  return audible;
}

/**
 * The stricter measure: 10 ms blocks where the card number is within 20 dB of the voice (both are played at
 * AMPLITUDE, so 1 % of full power), with their level in dB below full. The voice alone reads about -25 dB.
 */
function cardNearSpeech(decoded: DecodedMp3): { atMs: number; db: number }[] {
  const samples = AUDIBLE_BLOCK_MS * SAMPLES_PER_MS;
  const blocks: { atMs: number; db: number }[] = [];
  for (let start = DECODED_DELAY_SAMPLES; start + samples <= decoded.pcm.length; start += samples) {
    const level = goertzelPower(decoded.pcm.subarray(start, start + samples), SAMPLE_RATE_HZ, CARD_HZ) / FULL;
    if (level > 0.01) blocks.push({ atMs: (start - DECODED_DELAY_SAMPLES) / SAMPLES_PER_MS, db: Math.round(10 * Math.log10(level)) });
  }
  return blocks;
}

/** Mean power of the decoded audio over [fromMs, toMs), relative to a full-scale tone's (any frequency). */
function relativeEnergy(decoded: DecodedMp3, fromMs: number, toMs: number): number {
  const pcm = decoded.pcm.subarray(DECODED_DELAY_SAMPLES + Math.round(fromMs * SAMPLES_PER_MS), DECODED_DELAY_SAMPLES + Math.round(toMs * SAMPLES_PER_MS));
  let sum = 0;
  for (const sample of pcm) sum += sample * sample;
  // A sine's mean square is A²/2, twice its Goertzel power.
  return sum / Math.max(1, pcm.length) / (2 * FULL);
}

function expectLength(decoded: DecodedMp3, ms: number): void {
  // Decoded length = codec delay + audio + under one MP3 frame (576 samples) of padding, plus LAME's remainder.
  const padding = decoded.samplesDecoded - DECODED_DELAY_SAMPLES - ms * SAMPLES_PER_MS;
  expect(padding).toBeGreaterThanOrEqual(0);
  expect(padding).toBeLessThan(576 + 47);
}

describe.each<PauseBehavior>(["silence", "skip"])("pausing a live call (PAUSE_BEHAVIOR=%s)", (behavior) => {
  let t: TestApp;
  let s: Scenario;
  // The control sends its whole call at once, seconds ahead of the wall clock, which a real gateway never does.
  beforeAll(async () => ({ t, s } = await startScenarioApp({ media: { pauseBehavior: behavior }, mediaPipeline: { pauseGuardMs: GUARD_MS }, operations: { ingest: { clockToleranceMs: 60_000 } } })));
  afterAll(() => t.close());

  let control: DecodedMp3;
  it("control: without a pause the downloaded MP3 plainly holds the card number", async () => {
    const ids = await startCall(t, s, await t.user([Role.AGENT], "e2e-control"));
    const score: Score = (ms) => (ms >= BEFORE_MS && ms < BEFORE_MS + CARD_MS ? { inbound: CARD_HZ } : { outbound: VOICE_HZ });
    const stream = await PacedStream.start(t, s.apiUser.token, ids, score);
    // Nothing is paused, so the control needs no real-time pacing.
    stream.sendBefore(BEFORE_MS + CARD_MS + AFTER_MS);
    await stream.stop();
    control = await endAndDownload(t, s, ids);

    expectLength(control, BEFORE_MS + CARD_MS + AFTER_MS);
    expect(power(control, BEFORE_MS + EDGE_MS, BEFORE_MS + CARD_MS - EDGE_MS, CARD_HZ)).toBeGreaterThan(PRESENT);
    expect(power(control, EDGE_MS, BEFORE_MS - EDGE_MS, VOICE_HZ)).toBeGreaterThan(PRESENT);
    // The measures used below see it: ~1000 ms of card number, audible throughout.
    expect(cardEnergyMs(control)).toBeGreaterThan(0.5 * CARD_MS);
    expect(audibleCard(control).length * AUDIBLE_BLOCK_MS).toBeGreaterThanOrEqual(CARD_MS - 3 * AUDIBLE_BLOCK_MS);
  });

  it("the card number read while paused is not in the downloaded MP3; the call before and after is", async () => {
    const call = await pausedCall(t, s, { late: false });
    const { decoded, interval } = call;
    // The cut runs from a guard band before the pause's request arrived (where its interval starts) to the resume.
    const removedMs = behavior === "skip" ? interval.endedAt - interval.startedAt + GUARD_MS : 0;

    // Length: the whole call with silence; without the paused span with skip.
    expectLength(decoded, call.endMs - removedMs);
    if (behavior === "skip") {
      // The removed span covers the card number (it ran from before it started until after it ended).
      expect(removedMs).toBeGreaterThan(CARD_MS);
    }

    // The voice is there before the pause and after the resume (the pause may start up to the server's
    // lag before it was requested by the client's clock; the resume is in force by the time it is confirmed).
    expect(power(decoded, EDGE_MS, call.pauseRequestedMs - call.serverLagMs - EDGE_MS, VOICE_HZ)).toBeGreaterThan(PRESENT);
    expect(power(decoded, call.resumedMs - removedMs + EDGE_MS, call.endMs - removedMs - EDGE_MS, VOICE_HZ)).toBeGreaterThan(PRESENT);

    // The card number is not: not one 10 ms stretch of it can be heard, and its energy in the whole
    // recording is 30 dB below the control's (~1000 ms of tone): under 1 ms of it.
    expect(audibleCard(decoded)).toEqual([]);
    expect(cardEnergyMs(decoded)).toBeLessThan(1e-3 * cardEnergyMs(control));
    if (behavior === "silence") {
      // Where the card number was read there is digital silence.
      expect(power(decoded, call.cardFromMs + EDGE_MS, call.cardToMs - EDGE_MS, CARD_HZ)).toBeLessThan(1e-6 * FULL);
      expect(power(decoded, call.cardFromMs + EDGE_MS, call.cardToMs - EDGE_MS, VOICE_HZ)).toBeLessThan(1e-6 * FULL);
    }
  });
});

describe("a pause that reaches the server after the card number's first frames", () => {
  let t: TestApp;
  let s: Scenario;
  beforeAll(async () => ({ t, s } = await startScenarioApp()));
  afterAll(() => t.close());

  it("still cuts at the moment it was made: at most a few tens of ms of the card number at the boundary", async () => {
    const call = await pausedCall(t, s, { late: true });
    const { decoded, interval } = call;
    // Where the server placed the pause, by the client's clock: never earlier than by its own.
    const pauseAtMs = interval.startedAt - call.streamStartedAt;
    const audible = audibleCard(decoded);
    const leakedMs = audible.length * AUDIBLE_BLOCK_MS;

    expectLength(decoded, call.endMs);
    expect(power(decoded, EDGE_MS, BEFORE_MS - call.serverLagMs - EDGE_MS, VOICE_HZ)).toBeGreaterThan(PRESENT);
    expect(power(decoded, call.resumedMs + EDGE_MS, call.endMs - EDGE_MS, VOICE_HZ)).toBeGreaterThan(PRESENT);
    // 250 ms of the card number had reached the server before the pause did. The hold-back cuts it at the
    // pause's own time, a guard band before its request arrived: only the card number between BEFORE_MS and
    // that instant (the request's latency, less the guard and the server's lag) can be in the recording.
    // The 20 ms allow for the 10 ms blocks and MP3 smearing the edge.
    expect(leakedMs).toBeLessThanOrEqual(Math.max(0, pauseAtMs - BEFORE_MS) + 20);
    for (const atMs of audible) {
      expect(atMs).toBeGreaterThanOrEqual(BEFORE_MS - AUDIBLE_BLOCK_MS);
      expect(atMs).toBeLessThan(Math.max(BEFORE_MS, pauseAtMs) + 10);
    }
    // Tens of ms however the timing falls (a request takes ~30 ms here, ~90 ms on a loaded machine). Without
    // the hold-back all 250 ms sent before the pause arrived, and more, would be in the recording.
    expect(leakedMs).toBeLessThan(150);
    // And no energy of it past the boundary.
    expect(power(decoded, Math.max(BEFORE_MS, pauseAtMs) + EDGE_MS, call.cardToMs - EDGE_MS, CARD_HZ)).toBeLessThan(ABSENT);
  });
});

describe("a pause made on another instance than the one ingesting (two instances on one database and Redis)", () => {
  const REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";
  let ingesting: TestApp;
  let other: TestApp;
  let s: Scenario;
  beforeAll(async () => {
    ingesting = await startTestApp({ redisUrl: REDIS_URL, mediaPipeline: { pauseGuardMs: GUARD_MS } });
    // One filesystem media store in a shared DATA_DIR (master key included), as two instances on one host would have.
    other = await startTestApp({ redisUrl: REDIS_URL, shareDatabaseWith: ingesting, dataDir: ingesting.app.config.dataDir, mediaPipeline: { pauseGuardMs: GUARD_MS } });
    s = await createScenario(ingesting);
    // Warm both HTTP paths, so the first pause is not timed with the client's own start-up in it.
    for (const instance of [ingesting, other]) await gql(instance.url, `{ __typename }`, {}, s.apiUser.token);
  });
  afterAll(async () => {
    await other?.close();
    await ingesting?.close();
  });

  const instances = [
    ["the ingesting instance", () => ingesting],
    ["the other instance", () => other],
  ] as const;

  it.each(instances)("awaited before the card number starts, a pause made on %s leaves no 10 ms of it within 20 dB of speech", async (_where, control) => {
    // Real time as Twilio streams it: each 20 ms frame is sent once it is complete, so the frames on the wire
    // always lag the clock by up to a frame and a tick. The card number starts the moment the pause is confirmed.
    const call = await pausedCall(ingesting, s, { late: false, control: control(), aheadMs: 0 });
    expect(cardNearSpeech(call.decoded)).toEqual([]);
    expect(cardEnergyMs(call.decoded)).toBeLessThan(1);
    expectGuardBand(call);
  });

  it.each(instances)("a pause made on %s cuts from before its request arrived: a card number read as the agent clicks is not stored", async (_where, control) => {
    // Before the pause commits (tens of ms here, far more under load), the first digits are already on the wire.
    const call = await pausedCall(ingesting, s, { late: false, cardOnClick: true, control: control(), aheadMs: 0 });
    expect(cardNearSpeech(call.decoded)).toEqual([]);
    expect(cardEnergyMs(call.decoded)).toBeLessThan(1);
    expectGuardBand(call);
  });

  /** The cut begins PAUSE_GUARD_MS before the instant the pause request arrived (where its interval starts), not later, and no earlier. */
  function expectGuardBand(call: RecordedCall): void {
    const pauseAtMs = call.interval.startedAt - call.streamStartedAt;
    expect(relativeEnergy(call.decoded, pauseAtMs - GUARD_MS + 40, pauseAtMs - call.serverLagMs - 5)).toBeLessThan(1e-4);
    expect(power(call.decoded, EDGE_MS, pauseAtMs - call.serverLagMs - GUARD_MS - EDGE_MS, VOICE_HZ)).toBeGreaterThan(PRESENT);
    expect(power(call.decoded, call.resumedMs + EDGE_MS, call.endMs - EDGE_MS, VOICE_HZ)).toBeGreaterThan(PRESENT);
  }
});
