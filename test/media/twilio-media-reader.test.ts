import { buildTwilioMediaMessage, parseTwilioMediaMessage } from "../../src/media/twilio-media-message";
import { readTwilioMediaMessage } from "../../src/media/twilio-media-reader";

/** What the general path answers: JSON.parse, then the validating parser; undefined where JSON.parse throws. */
function general(bytes: Buffer) {
  let message: unknown;
  try {
    message = JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
  return parseTwilioMediaMessage(message);
}

/** A small seeded generator, so a failure replays. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const frame = (i: number) => ({
  track: (i % 2 === 0 ? "inbound" : "outbound") as "inbound" | "outbound",
  timestampMs: i * 20,
  chunk: i + 1,
  mulaw: Uint8Array.from({ length: 160 }, (_, j) => (i * 31 + j * 7) & 0xff),
});
const wire = (i: number) => Buffer.from(JSON.stringify(buildTwilioMediaMessage(frame(i), "MZ0123456789abcdef", i + 2)));

describe("readTwilioMediaMessage (the fast path for media frames)", () => {
  it("reads Twilio's media messages exactly as JSON.parse + parseTwilioMediaMessage do", () => {
    for (let i = 0; i < 200; i++) {
      const bytes = wire(i);
      const fast = readTwilioMediaMessage(bytes);
      expect(fast).toBeDefined();
      expect(fast).toEqual(general(bytes));
    }
  });

  it.each([
    ["other key order, whitespace, numeric counters", `{ "media" : {"payload":"/38AgA==", "timestamp": 40, "track":"outbound","chunk":2} ,"event":"media","streamSid":"MZ1" }\n`],
    ["no chunk", `{"event":"media","media":{"track":"inbound","timestamp":"0","payload":"/w=="}}`],
    ["unknown extra keys", `{"event":"media","sequenceNumber":"3","x":1,"media":{"track":"inbound","timestamp":"7","payload":"AAAA","y":"z"}}`],
  ])("reads %s", (_name, text) => {
    const bytes = Buffer.from(text);
    expect(readTwilioMediaMessage(bytes)).toBeDefined();
    expect(readTwilioMediaMessage(bytes)).toEqual(general(bytes));
  });

  it.each([
    ["another event", `{"event":"start","start":{},"media":{"track":"inbound","timestamp":"0","payload":"AAAA"}}`],
    ["an escaped key", `{"event":"media","medi\\u0061":{"track":"inbound","timestamp":"0","payload":"AAAA"}}`],
    ["an escaped payload", `{"event":"media","media":{"track":"inbound","timestamp":"0","payload":"AA\\/A"}}`],
    ["a duplicate track (JSON.parse keeps the last)", `{"event":"media","media":{"track":"inbound","track":"sideways","timestamp":"0","payload":"AAAA"}}`],
    ["a float timestamp", `{"event":"media","media":{"track":"inbound","timestamp":40.0,"payload":"AAAA"}}`],
    ["a null", `{"event":"media","streamSid":null,"media":{"track":"inbound","timestamp":"0","payload":"AAAA"}}`],
    ["trailing garbage", `{"event":"media","media":{"track":"inbound","timestamp":"0","payload":"AAAA"}} x`],
    ["bad base64", `{"event":"media","media":{"track":"inbound","timestamp":"0","payload":"A=AA"}}`],
    ["a negative timestamp", `{"event":"media","media":{"track":"inbound","timestamp":"-20","payload":"AAAA"}}`],
    ["an unknown track", `{"event":"media","media":{"track":"both","timestamp":"0","payload":"AAAA"}}`],
    ["not JSON", `{ not json`],
  ])("leaves %s to the general path", (_name, text) => {
    expect(readTwilioMediaMessage(Buffer.from(text))).toBeUndefined();
  });

  it("never answers differently from the general path, whatever the bytes (mutated messages)", () => {
    const next = random(7);
    const rounds = 5_000;
    const show = (result: unknown) => JSON.stringify(result, (_key, value) => (value?.type === "Buffer" ? value.data : value));
    const differences: string[] = [];
    let answered = 0;
    for (let round = 0; round < rounds; round++) {
      const bytes = Buffer.from(wire(round % 50));
      const edits = 1 + Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * bytes.length);
        // Mostly characters that matter to JSON and base64, sometimes any byte.
        const pool = `"\\:,{}[]0123456789-.eE =/+Aa\t\n`;
        bytes[at] = next() < 0.8 ? pool.charCodeAt(Math.floor(next() * pool.length)) : Math.floor(next() * 256);
      }
      const fast = readTwilioMediaMessage(bytes);
      if (fast === undefined) continue;
      answered++;
      if (show(fast) !== show(general(bytes))) differences.push(bytes.toString("latin1"));
    }
    expect(differences).toEqual([]);
    // Many edits land in the payload or an unread field and leave a valid message: the property was exercised.
    expect(answered).toBeGreaterThan(rounds / 10);
  });
});
