import { PcmChunk } from "../../src/media/media-frame";
import { PauseCutter, PauseCutterOptions } from "../../src/media/pause-cutter";

const CHUNK = 160; // 20 ms

/** Every sample is its own index + 1 (mod 30000), so output reveals exactly which samples survived. */
function ramp(startSample: number, length: number): PcmChunk {
  return { startSample, samples: Int16Array.from({ length }, (_, i) => ((startSample + i) % 30000) + 1) };
}

class Harness {
  readonly cutter: PauseCutter;
  private readonly released: PcmChunk[] = [];
  private fed = 0;

  constructor(options: Partial<PauseCutterOptions>) {
    this.cutter = new PauseCutter(options);
  }

  feedUntilMs(ms: number): void {
    while (this.fed < ms * 8) {
      const { outcome, released } = this.cutter.push(ramp(this.fed, CHUNK));
      expect(outcome).toEqual({ kind: "accepted" });
      if (released) this.released.push(released);
      this.fed += CHUNK;
    }
  }

  finish(): Int16Array {
    const last = this.cutter.flush();
    if (last) this.released.push(last);
    const output = new Int16Array(this.released.reduce((sum, chunk) => sum + chunk.samples.length, 0));
    let expectedStart = 0;
    for (const chunk of this.released) {
      expect(chunk.startSample).toBe(expectedStart);
      output.set(chunk.samples, expectedStart);
      expectedStart += chunk.samples.length;
    }
    return output;
  }
}

function expectedRamp(from: number, to: number): number[] {
  return Array.from(ramp(from, to - from).samples);
}

describe("PauseCutter", () => {
  it("silences exactly the paused samples and keeps the duration", () => {
    const harness = new Harness({ behavior: "silence" });
    harness.cutter.applyPause({ startOffsetMs: 1000, endOffsetMs: 1500 });
    harness.feedUntilMs(3000);
    const output = harness.finish();
    expect(output.length).toBe(24000);
    expect(Array.from(output.subarray(0, 8000))).toEqual(expectedRamp(0, 8000));
    expect(output.subarray(8000, 12000).every((sample) => sample === 0)).toBe(true);
    expect(Array.from(output.subarray(12000))).toEqual(expectedRamp(12000, 24000));
  });

  it("removes exactly the paused samples in skip mode", () => {
    const harness = new Harness({ behavior: "skip" });
    harness.cutter.applyPause({ startOffsetMs: 1000, endOffsetMs: 1500 });
    harness.cutter.applyPause({ startOffsetMs: 2001.5, endOffsetMs: 2002 });
    harness.feedUntilMs(3000);
    const output = harness.finish();
    expect(Array.from(output)).toEqual([...expectedRamp(0, 8000), ...expectedRamp(12000, 16012), ...expectedRamp(16016, 24000)]);
  });

  it("cuts from an open pause to the end of the call", () => {
    const harness = new Harness({ behavior: "skip" });
    harness.feedUntilMs(1000);
    harness.cutter.applyPause({ startOffsetMs: 800, endOffsetMs: null });
    harness.feedUntilMs(2000);
    expect(Array.from(harness.finish())).toEqual(expectedRamp(0, 6400));
  });

  it("cuts at the pause's own offset when the pause is learned within the hold-back", () => {
    const harness = new Harness({ behavior: "silence", holdBackMs: 500 });
    harness.feedUntilMs(1400);
    expect(harness.cutter.applyPause({ startOffsetMs: 1000, endOffsetMs: null })).toEqual({ kind: "applied" });
    harness.feedUntilMs(2400);
    // The resume, too, is learned 400 ms late and still takes effect at its own offset.
    expect(harness.cutter.applyPause({ startOffsetMs: 1000, endOffsetMs: 2000 })).toEqual({ kind: "applied" });
    harness.feedUntilMs(3000);
    const output = harness.finish();
    expect(Array.from(output.subarray(0, 8000))).toEqual(expectedRamp(0, 8000));
    expect(output.subarray(8000, 16000).every((sample) => sample === 0)).toBe(true);
    expect(Array.from(output.subarray(16000))).toEqual(expectedRamp(16000, 24000));
  });

  it("reports how much paused audio already got past when a pause is learned after the hold-back", () => {
    const harness = new Harness({ behavior: "silence", holdBackMs: 500 });
    harness.feedUntilMs(2000);
    expect(harness.cutter.releasedSamples).toBe(1500 * 8);
    expect(harness.cutter.applyPause({ startOffsetMs: 1200, endOffsetMs: null })).toEqual({ kind: "applied-late", leakedMs: 300 });
    const output = harness.finish();
    expect(Array.from(output.subarray(9600, 12000))).toEqual(expectedRamp(9600, 12000));
    expect(output.subarray(12000).every((sample) => sample === 0)).toBe(true);
  });

  it("does not count audio an earlier pause already cut as leaked", () => {
    const harness = new Harness({ behavior: "silence", holdBackMs: 500 });
    harness.cutter.applyPause({ startOffsetMs: 1000, endOffsetMs: 1400 });
    harness.feedUntilMs(2000);
    expect(harness.cutter.applyPause({ startOffsetMs: 1000, endOffsetMs: 1400 })).toEqual({ kind: "applied" });
    expect(harness.cutter.applyPause({ startOffsetMs: 1300, endOffsetMs: 1600 })).toEqual({ kind: "applied-late", leakedMs: 100 });
  });

  it("never shrinks a cut: a shorter span for the same start keeps the longer one", () => {
    const harness = new Harness({ behavior: "skip" });
    harness.cutter.applyPause({ startOffsetMs: 500, endOffsetMs: 1500 });
    harness.cutter.applyPause({ startOffsetMs: 500, endOffsetMs: 600 });
    harness.feedUntilMs(2000);
    expect(harness.finish().length).toBe(1000 * 8);
  });

  it("rejects spans it cannot place", () => {
    const cutter = new PauseCutter();
    expect(cutter.applyPause({ startOffsetMs: Number.NaN, endOffsetMs: null })).toEqual({ kind: "rejected", reason: "invalid-offset" });
    expect(cutter.applyPause({ startOffsetMs: -1, endOffsetMs: null })).toEqual({ kind: "rejected", reason: "invalid-offset" });
    expect(cutter.applyPause({ startOffsetMs: 10, endOffsetMs: Infinity })).toEqual({ kind: "rejected", reason: "invalid-offset" });
    expect(cutter.applyPause({ startOffsetMs: 10, endOffsetMs: 5 })).toEqual({ kind: "rejected", reason: "end-before-start" });
  });

  it("rejects audio that does not continue where the last chunk ended, and audio after flush", () => {
    const cutter = new PauseCutter();
    expect(cutter.push(ramp(0, CHUNK)).outcome).toEqual({ kind: "accepted" });
    expect(cutter.push(ramp(CHUNK + 1, CHUNK))).toEqual({ outcome: { kind: "rejected", reason: "non-contiguous" }, released: null });
    cutter.flush();
    expect(cutter.push(ramp(CHUNK, CHUNK)).outcome).toEqual({ kind: "rejected", reason: "finished" });
  });
});
