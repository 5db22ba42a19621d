import { MediaFrame, PcmChunk } from "../../src/media/media-frame";
import { MULAW_DECODE_TABLE } from "../../src/media/mulaw";
import { TrackMixer } from "../../src/media/track-mixer";
import { constantFrame, FRAME_SAMPLES } from "./support/synthetic-call";

const LOUD = 0x80; // +32124
const QUIET = 0xfe; // +8
const NEGATIVE = 0x7e; // -8

/** Pushes frames, collects everything the mixer releases (including the flush) into one timeline. */
function mixAll(mixer: TrackMixer, frames: readonly MediaFrame[], flush = true): Int16Array {
  const chunks: PcmChunk[] = [];
  for (const frame of frames) {
    const { mixed } = mixer.push(frame);
    if (mixed) chunks.push(mixed);
  }
  const last = flush ? mixer.flush() : null;
  if (last) chunks.push(last);
  return joinContiguous(chunks);
}

function joinContiguous(chunks: readonly PcmChunk[]): Int16Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.samples.length, 0);
  const joined = new Int16Array(total);
  let expectedStart = 0;
  for (const chunk of chunks) {
    expect(chunk.startSample).toBe(expectedStart);
    joined.set(chunk.samples, expectedStart);
    expectedStart += chunk.samples.length;
  }
  return joined;
}

/** The distinct values of `timeline` over [from, to) samples. */
function valuesIn(timeline: Int16Array, from: number, to: number): number[] {
  return [...new Set(timeline.subarray(from, to))];
}

describe("TrackMixer", () => {
  it("holds back the newest 200 ms and releases the rest on flush", () => {
    const mixer = new TrackMixer({ holdBackMs: 200 });
    const chunks: PcmChunk[] = [];
    for (let t = 0; t < 1000; t += 20) {
      const { outcome, mixed } = mixer.push(constantFrame("inbound", t, QUIET));
      expect(outcome).toEqual({ kind: "accepted" });
      if (mixed) chunks.push(mixed);
    }
    expect(joinContiguous(chunks).length).toBe(800 * 8);
    const rest = mixer.flush();
    expect(rest).toEqual({ startSample: 800 * 8, samples: expect.any(Int16Array) });
    expect(rest?.samples.length).toBe(200 * 8);
    expect(mixer.flush()).toBeNull();
  });

  it("sums both tracks sample by sample", () => {
    const frames = [constantFrame("inbound", 0, QUIET), constantFrame("outbound", 0, QUIET), constantFrame("inbound", 20, QUIET), constantFrame("outbound", 20, NEGATIVE)];
    const timeline = mixAll(new TrackMixer(), frames);
    expect(valuesIn(timeline, 0, FRAME_SAMPLES)).toEqual([2 * MULAW_DECODE_TABLE[QUIET]]);
    expect(valuesIn(timeline, FRAME_SAMPLES, 2 * FRAME_SAMPLES)).toEqual([0]);
  });

  it("saturates instead of wrapping when the sum overflows 16 bits", () => {
    const timeline = mixAll(new TrackMixer(), [constantFrame("inbound", 0, LOUD), constantFrame("outbound", 0, LOUD)]);
    expect(valuesIn(timeline, 0, FRAME_SAMPLES)).toEqual([32767]);
  });

  it("fills a missing frame with silence and keeps later frames at their timestamps", () => {
    const timeline = mixAll(new TrackMixer(), [constantFrame("inbound", 0, QUIET), constantFrame("inbound", 40, QUIET)]);
    expect(timeline.length).toBe(3 * FRAME_SAMPLES);
    expect(valuesIn(timeline, 0, 160)).toEqual([8]);
    expect(valuesIn(timeline, 160, 320)).toEqual([0]);
    expect(valuesIn(timeline, 320, 480)).toEqual([8]);
  });

  it("absorbs millisecond timestamp jitter instead of leaving holes or dropping overlapping frames", () => {
    const mixer = new TrackMixer({ snapToleranceMs: 2 });
    const timeline = mixAll(mixer, [0, 21, 40, 59, 80].map((t) => constantFrame("inbound", t, QUIET)));
    expect(mixer.stats.dropped).toBe(0);
    expect(timeline.length).toBe(5 * FRAME_SAMPLES);
    expect(valuesIn(timeline, 0, 5 * FRAME_SAMPLES)).toEqual([8]);
  });

  it("does not snap a genuine gap of more than the tolerance", () => {
    const timeline = mixAll(new TrackMixer({ snapToleranceMs: 2 }), [0, 23].map((t) => constantFrame("inbound", t, QUIET)));
    expect(timeline.length).toBe(23 * 8 + FRAME_SAMPLES);
    expect(valuesIn(timeline, 160, 184)).toEqual([0]);
  });

  it("puts frames that arrive out of order within the hold-back back in place", () => {
    const inOrder = mixAll(new TrackMixer(), [0, 20, 40, 60].map((t) => constantFrame("inbound", t, t === 20 ? LOUD : QUIET)));
    const shuffled = mixAll(new TrackMixer(), [0, 40, 20, 60].map((t) => constantFrame("inbound", t, t === 20 ? LOUD : QUIET)));
    expect(shuffled).toEqual(inOrder);
    expect(valuesIn(shuffled, 160, 320)).toEqual([32124]);
  });

  describe("when the outbound track trails the inbound one by 180 ms", () => {
    const inbound = Array.from({ length: 20 }, (_, i) => constantFrame("inbound", i * 20, QUIET));
    const outbound = Array.from({ length: 20 }, (_, i) => constantFrame("outbound", i * 20, QUIET));
    const arrival = [...inbound.flatMap((frame, i) => (i >= 9 ? [frame, outbound[i - 9]] : [frame])), ...outbound.slice(11)];

    it("mixes both tracks everywhere with a 200 ms hold-back", () => {
      const mixer = new TrackMixer({ holdBackMs: 200 });
      expect(valuesIn(mixAll(mixer, arrival), 0, 400 * 8)).toEqual([16]);
      expect(mixer.stats.dropped).toBe(0);
    });

    it("loses the lagging frames with a 100 ms hold-back", () => {
      const mixer = new TrackMixer({ holdBackMs: 100 });
      const timeline = mixAll(mixer, arrival);
      expect(mixer.stats.dropped).toBeGreaterThan(0);
      expect(valuesIn(timeline, 0, 100 * 8)).toEqual([8]);
    });
  });

  it("drops a frame that arrives after its time was released, leaving the output untouched", () => {
    const mixer = new TrackMixer({ holdBackMs: 100 });
    const released: PcmChunk[] = [];
    for (let t = 0; t <= 400; t += 20) {
      const { mixed } = mixer.push(constantFrame("inbound", t, QUIET));
      if (mixed) released.push(mixed);
    }
    const late = mixer.push(constantFrame("outbound", 100, LOUD));
    expect(late).toEqual({ outcome: { kind: "dropped", reason: "late" }, mixed: null });
    released.push(mixer.flush()!);
    expect(valuesIn(joinContiguous(released), 0, 420 * 8)).toEqual([8]);
  });

  it("drops a duplicate or overlapping frame of the same track", () => {
    const mixer = new TrackMixer();
    mixer.push(constantFrame("inbound", 0, QUIET));
    expect(mixer.push(constantFrame("inbound", 0, LOUD)).outcome).toEqual({ kind: "dropped", reason: "duplicate" });
    expect(mixer.push(constantFrame("inbound", 10, LOUD)).outcome).toEqual({ kind: "dropped", reason: "duplicate" });
    expect(mixer.push(constantFrame("outbound", 10, QUIET)).outcome).toEqual({ kind: "accepted" });
    const timeline = mixer.flush()!.samples;
    expect(valuesIn(timeline, 0, 80)).toEqual([8]);
    expect(valuesIn(timeline, 80, 160)).toEqual([16]);
    expect(mixer.stats).toEqual({ accepted: 2, dropped: 2, rejected: 0, releasedSamples: 240 });
  });

  it("fills a gap up to the maximum with silence", () => {
    const timeline = mixAll(new TrackMixer({ maxGapMs: 5000 }), [constantFrame("inbound", 0, QUIET), constantFrame("inbound", 4000, QUIET)]);
    expect(timeline.length).toBe(4020 * 8);
    expect(valuesIn(timeline, 160, 4000 * 8)).toEqual([0]);
    expect(valuesIn(timeline, 4000 * 8, 4020 * 8)).toEqual([8]);
  });

  it("rejects a frame an hour in the future without allocating for it, and carries on", () => {
    const mixer = new TrackMixer({ maxGapMs: 5000 });
    mixer.push(constantFrame("inbound", 0, QUIET));
    expect(mixer.push(constantFrame("inbound", 3_600_000, QUIET))).toEqual({ outcome: { kind: "rejected", reason: "gap-too-large" }, mixed: null });
    expect(mixer.push(constantFrame("inbound", 20, QUIET)).outcome).toEqual({ kind: "accepted" });
    expect(mixer.flush()?.samples.length).toBe(2 * FRAME_SAMPLES);
  });

  it("rejects malformed frames with a reason instead of throwing", () => {
    const mixer = new TrackMixer({ maxFrameSamples: 1600 });
    const cases: [unknown, string][] = [
      [null, "unknown-track"],
      [{ track: "both", timestampMs: 0, mulaw: new Uint8Array(160) }, "unknown-track"],
      [{ track: "inbound", timestampMs: Number.NaN, mulaw: new Uint8Array(160) }, "invalid-timestamp"],
      [{ track: "inbound", timestampMs: Infinity, mulaw: new Uint8Array(160) }, "invalid-timestamp"],
      [{ track: "inbound", timestampMs: -20, mulaw: new Uint8Array(160) }, "invalid-timestamp"],
      [{ track: "inbound", timestampMs: "20", mulaw: new Uint8Array(160) }, "invalid-timestamp"],
      [{ track: "inbound", timestampMs: 0, mulaw: "AAAA" }, "invalid-payload"],
      [{ track: "inbound", timestampMs: 0, mulaw: new Uint8Array(0) }, "invalid-payload"],
      [{ track: "inbound", timestampMs: 0, mulaw: new Uint8Array(1601) }, "oversized-payload"],
    ];
    for (const [frame, reason] of cases) {
      expect(mixer.push(frame as MediaFrame)).toEqual({ outcome: { kind: "rejected", reason }, mixed: null });
    }
    expect(mixer.stats).toEqual({ accepted: 0, dropped: 0, rejected: cases.length, releasedSamples: 0 });
  });

  it("rejects frames after flush", () => {
    const mixer = new TrackMixer();
    mixer.push(constantFrame("inbound", 0, QUIET));
    mixer.flush();
    expect(mixer.push(constantFrame("inbound", 20, QUIET)).outcome).toEqual({ kind: "rejected", reason: "finished" });
  });

  it("survives a storm of random frames and keeps its output contiguous and bounded", () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const mixer = new TrackMixer({ maxGapMs: 1000 });
    const chunks: PcmChunk[] = [];
    let clock = 0;
    for (let i = 0; i < 5000; i++) {
      clock += 20;
      const jitter = Math.floor(random() * 600) - 300;
      const frame = { track: random() < 0.5 ? "inbound" : "outbound", timestampMs: clock + jitter, mulaw: new Uint8Array(1 + Math.floor(random() * 400)) } as MediaFrame;
      const { mixed } = mixer.push(frame);
      if (mixed) chunks.push(mixed);
    }
    chunks.push(mixer.flush()!);
    const timeline = joinContiguous(chunks);
    expect(timeline.length).toBeLessThanOrEqual((clock + 300) * 8 + 400);
    expect(mixer.stats.accepted + mixer.stats.dropped + mixer.stats.rejected).toBe(5000);
  });
});
