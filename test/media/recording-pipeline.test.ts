import { MediaFrame } from "../../src/media/media-frame";
import { Mp3Summary } from "../../src/media/mp3-encoder";
import { PauseBehavior, PauseOutcome, PauseSpan } from "../../src/media/pause-cutter";
import { RecordingPipeline } from "../../src/media/recording-pipeline";
import { decodeMp3, DecodedMp3 } from "./support/decode-mp3";
import { DECODED_DELAY_SAMPLES } from "./support/mp3-timing";
import { interleave, trackFrames } from "./support/synthetic-call";
import { fullTonePower, tonePower } from "./support/tone-measure";

/**
 * A 6 s call: the customer (inbound) hums 440 Hz throughout; the agent (outbound) reads a "card
 * number" as a 1 kHz tone from 2 s to 4 s and is otherwise silent. The pause covers the card number.
 */
const CALL_MS = 6000;
const CARD_FROM_MS = 2000;
const CARD_TO_MS = 4000;
const AMPLITUDE = 8000;
const PRESENT = 0.5 * fullTonePower(AMPLITUDE); // within 3 dB after μ-law and MP3
const ABSENT = 1e-3 * fullTonePower(AMPLITUDE); // 30 dB down
const GUARD_MS = 100; // MP3 frames smear a cut by up to a frame or two

const callFrames = interleave(
  trackFrames("inbound", CALL_MS, [{ fromMs: 0, toMs: CALL_MS, frequencyHz: 440, amplitude: AMPLITUDE }]),
  trackFrames("outbound", CALL_MS, [{ fromMs: CARD_FROM_MS, toMs: CARD_TO_MS, frequencyHz: 1000, amplitude: AMPLITUDE }]),
);

interface RecordedCall {
  decoded: DecodedMp3;
  summary: Mp3Summary;
  pauseOutcomes: PauseOutcome[];
}

/** Plays the call into a pipeline; `pauses` are applied just before the frame with the given timestamp. */
async function record(behavior: PauseBehavior, pauses: { atMs: number; span: PauseSpan }[]): Promise<RecordedCall> {
  const pipeline = await RecordingPipeline.create({ cutter: { behavior, holdBackMs: 500 } });
  const mp3: Uint8Array[] = [];
  const pauseOutcomes: PauseOutcome[] = [];
  for (const frame of callFrames) {
    for (const pause of pauses.filter((p) => p.atMs === frame.timestampMs && frame.track === "inbound")) {
      pauseOutcomes.push(pipeline.applyPause(pause.span));
    }
    const { outcome, mp3: bytes } = pipeline.pushFrame(frame);
    expect(outcome).toEqual({ kind: "accepted" });
    mp3.push(bytes);
  }
  const { mp3: tail, summary } = pipeline.finish();
  mp3.push(tail);
  const decoded = await decodeMp3(Buffer.concat(mp3));
  expect(decoded.errors).toEqual([]);
  return { decoded, summary, pauseOutcomes };
}

function power(call: RecordedCall, fromMs: number, toMs: number, frequencyHz: number): number {
  return tonePower(call.decoded.pcm, fromMs + GUARD_MS, toMs - GUARD_MS, frequencyHz, DECODED_DELAY_SAMPLES);
}

function expectDuration(call: RecordedCall, durationMs: number): void {
  expect(call.summary.durationMs).toBe(durationMs);
  // Decoded length = delay + audio + under one frame of padding (plus LAME's 47-sample remainder).
  const padding = call.decoded.samplesDecoded - DECODED_DELAY_SAMPLES - durationMs * 8;
  expect(padding).toBeGreaterThanOrEqual(0);
  expect(padding).toBeLessThan(576 + 47);
}

describe("RecordingPipeline (frames → mixer → pause cutter → MP3)", () => {
  it("records both parties when nothing is paused (the detector sees the card number)", async () => {
    const call = await record("silence", []);
    expectDuration(call, CALL_MS);
    expect(power(call, 0, CARD_FROM_MS, 440)).toBeGreaterThan(PRESENT);
    expect(power(call, CARD_FROM_MS, CARD_TO_MS, 440)).toBeGreaterThan(PRESENT);
    expect(power(call, CARD_FROM_MS, CARD_TO_MS, 1000)).toBeGreaterThan(PRESENT);
    expect(power(call, 0, CARD_FROM_MS, 1000)).toBeLessThan(ABSENT);
  });

  it("silences the paused span and keeps the call's length (silence behaviour)", async () => {
    const call = await record("silence", [{ atMs: 0, span: { startOffsetMs: CARD_FROM_MS, endOffsetMs: CARD_TO_MS } }]);
    expectDuration(call, CALL_MS);
    expect(power(call, 0, CARD_FROM_MS, 440)).toBeGreaterThan(PRESENT);
    expect(power(call, CARD_FROM_MS, CARD_TO_MS, 1000)).toBeLessThan(ABSENT);
    expect(power(call, CARD_FROM_MS, CARD_TO_MS, 440)).toBeLessThan(ABSENT);
    expect(power(call, CARD_TO_MS, CALL_MS, 440)).toBeGreaterThan(PRESENT);
    expect(power(call, 0, CALL_MS, 1000)).toBeLessThan(ABSENT);
  });

  it("removes the paused span and shortens the recording (skip behaviour)", async () => {
    const call = await record("skip", [{ atMs: 0, span: { startOffsetMs: CARD_FROM_MS, endOffsetMs: CARD_TO_MS } }]);
    const remainingMs = CALL_MS - (CARD_TO_MS - CARD_FROM_MS);
    expectDuration(call, remainingMs);
    expect(power(call, 0, CARD_FROM_MS, 440)).toBeGreaterThan(PRESENT);
    expect(power(call, CARD_FROM_MS, remainingMs, 440)).toBeGreaterThan(PRESENT);
    expect(power(call, 0, remainingMs, 1000)).toBeLessThan(ABSENT);
  });

  it("cuts at the pause's own offset when pause and resume are learned 300 ms late", async () => {
    const call = await record("silence", [
      { atMs: CARD_FROM_MS + 300, span: { startOffsetMs: CARD_FROM_MS, endOffsetMs: null } },
      { atMs: CARD_TO_MS + 300, span: { startOffsetMs: CARD_FROM_MS, endOffsetMs: CARD_TO_MS } },
    ]);
    expect(call.pauseOutcomes).toEqual([{ kind: "applied" }, { kind: "applied" }]);
    expectDuration(call, CALL_MS);
    expect(power(call, 0, CARD_FROM_MS, 440)).toBeGreaterThan(PRESENT);
    expect(power(call, CARD_FROM_MS, CARD_TO_MS, 1000)).toBeLessThan(ABSENT);
    expect(power(call, CARD_FROM_MS, CARD_TO_MS, 440)).toBeLessThan(ABSENT);
    expect(power(call, CARD_TO_MS, CALL_MS, 440)).toBeGreaterThan(PRESENT);
  });

  it("says how much leaked when a pause is learned after the hold-back, and cuts the rest", async () => {
    const call = await record("silence", [
      { atMs: CARD_FROM_MS + 1000, span: { startOffsetMs: CARD_FROM_MS, endOffsetMs: CARD_TO_MS } },
    ]);
    // 1000 ms late minus the cutter's 500 ms and the mixer's 200 ms hold-back: 300 ms got through.
    expect(call.pauseOutcomes).toEqual([{ kind: "applied-late", leakedMs: 300 }]);
    expect(power(call, CARD_FROM_MS, CARD_FROM_MS + 300, 1000)).toBeGreaterThan(PRESENT);
    expect(power(call, CARD_FROM_MS + 300, CARD_TO_MS, 1000)).toBeLessThan(ABSENT);
  });

  it("rejects frames after the call finished", async () => {
    const pipeline = await RecordingPipeline.create();
    pipeline.finish();
    const frame: MediaFrame = callFrames[0];
    expect(pipeline.pushFrame(frame).outcome).toEqual({ kind: "rejected", reason: "finished" });
  });
});
