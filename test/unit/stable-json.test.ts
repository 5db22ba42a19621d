import { hashAuditEntry } from "../../src/audit/audit-hash";
import { stableStringify } from "../../src/common/stable-json";

/** The definition the audit chain's hashes were taken with: JSON.stringify of a copy built in sorted key order. */
function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((key) => [key, sortedCopy((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** A small deterministic generator, so a failure names a seed that reproduces it. */
function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 9 : 11));
  const keys = ["a", "b", "Z", "é", "10", "9", "0", "01", "4294967294", "4294967295", "-1", "1.5", "", "__proto_", 'q"uote'];
  switch (pick) {
    case 0: return null;
    case 1: return undefined;
    case 2: return next() < 0.5;
    case 3: return [0, -0, 1.5, 1e21, -3, NaN, Infinity, 2 ** 53][Math.floor(next() * 8)];
    case 4: return ["", "plain", "é\u2028\u0000\"\\", "\ud800", "日本"][Math.floor(next() * 5)];
    case 5: return new Date(Math.floor(next() * 4e12));
    case 6: return () => 1;
    case 7: return Symbol("s");
    case 8: return "x";
    case 9: return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 6); i > 0; i--) object[keys[Math.floor(next() * keys.length)]] = randomValue(next, depth + 1);
      return object;
    }
  }
}

function generator(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe("stableStringify", () => {
  it("writes exactly JSON.stringify of a copy built in sorted key order", () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const value = { root: randomValue(generator(seed), 0) };
      expect([seed, stableStringify(value)]).toEqual([seed, JSON.stringify(sortedCopy(value))]);
    }
  });

  it("orders integer-like keys numerically, before the others, as the hashed copies enumerated them", () => {
    expect(stableStringify({ b: 1, "10": 2, a: [undefined, () => 0], "9": new Date(0), u: undefined, n: NaN })).toBe(
      '{"9":"1970-01-01T00:00:00.000Z","10":2,"a":[null,null],"b":1,"n":null}',
    );
  });

  it("leaves the hash of an audit entry what it was when the chain was written", () => {
    const entry = {
      position: 42,
      occurredAt: new Date("2026-12-07T13:45:01.123Z"),
      actorId: null,
      actorRoles: ["AGENT", "SUPERVISOR"],
      action: "RECORDING_PAUSED",
      targetType: "RECORDING",
      targetId: "r-1",
      details: { z: 1, a: { "10": "ten", "9": "nine", b: [1, null, "x", { y: 2, x: -0 }], c: 'é\u2028"q"' }, n: 1e21, f: 0.1, u: undefined, t: true },
      requestId: "req-1",
      prevHash: "0".repeat(64),
    };
    expect(hashAuditEntry(entry)).toBe("42cd7727c0b423b0122028c64768de3c6a45de09c3282745d80117334d64666b");
  });
});
