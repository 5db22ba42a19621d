import { decodeMulaw, encodeMulaw, encodeMulawSample, MULAW_DECODE_TABLE, MULAW_SILENCE } from "../../src/media/mulaw";

describe("G.711 μ-law", () => {
  it("decodes the reference code points", () => {
    expect(MULAW_DECODE_TABLE[0xff]).toBe(0);
    expect(MULAW_DECODE_TABLE[0x7f]).toBe(0);
    expect(MULAW_DECODE_TABLE[0x80]).toBe(32124);
    expect(MULAW_DECODE_TABLE[0x00]).toBe(-32124);
    expect(MULAW_DECODE_TABLE[0xfe]).toBe(8);
    expect(MULAW_DECODE_TABLE[0x7e]).toBe(-8);
    expect(MULAW_DECODE_TABLE[MULAW_SILENCE]).toBe(0);
  });

  it("re-encodes every decoded value to the same code (0x7f, negative zero, becomes 0xff)", () => {
    for (let code = 0; code < 256; code++) {
      const expected = code === 0x7f ? 0xff : code;
      expect(encodeMulawSample(MULAW_DECODE_TABLE[code])).toBe(expected);
    }
  });

  it("keeps the quantisation error within half a step of the sample's segment", () => {
    const violations: number[] = [];
    for (let sample = -32768; sample <= 32767; sample++) {
      const restored = MULAW_DECODE_TABLE[encodeMulawSample(sample)];
      const clipped = Math.max(-32124, Math.min(32124, sample));
      // Segment e holds biased magnitudes |x| + 132 in [2^(e+7), 2^(e+8)) with a step of 2^(e+3).
      const step = 2 ** (Math.floor(Math.log2(Math.abs(clipped) + 132)) - 4);
      if (Math.abs(restored - clipped) > step / 2) violations.push(sample);
    }
    expect(violations).toEqual([]);
  });

  it("is monotonic", () => {
    const decreases: number[] = [];
    let previous = -Infinity;
    for (let sample = -32768; sample <= 32767; sample++) {
      const restored = MULAW_DECODE_TABLE[encodeMulawSample(sample)];
      if (restored < previous) decreases.push(sample);
      previous = restored;
    }
    expect(decreases).toEqual([]);
  });

  it("round-trips arrays and decodes into a caller's buffer", () => {
    const pcm = Int16Array.from([0, 8, -8, 1000, -1000, 32124, -32124]);
    const target = new Int16Array(10);
    const decoded = decodeMulaw(encodeMulaw(pcm), target);
    expect(decoded).toBe(target);
    expect(Array.from(decoded.subarray(0, pcm.length))).toEqual([0, 8, -8, 988, -988, 32124, -32124]);
  });
});
