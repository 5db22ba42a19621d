import { buildTwilioMediaMessage, MAX_MEDIA_PAYLOAD_BYTES, parseTwilioMediaMessage } from "../../src/media/twilio-media-message";

const payload = Buffer.from([0xff, 0x7f, 0x00, 0x80]).toString("base64");

function message(media: Record<string, unknown>): unknown {
  return { event: "media", sequenceNumber: "3", streamSid: "MZ1", media: { track: "inbound", chunk: "2", timestamp: "40", payload, ...media } };
}

describe("parseTwilioMediaMessage", () => {
  it("turns string counters into numbers and the payload into μ-law bytes", () => {
    const result = parseTwilioMediaMessage(message({ track: "outbound" }));
    expect(result.ok && result.frame.track).toBe("outbound");
    expect(result.ok && result.frame.timestampMs).toBe(40);
    expect(result.ok && result.frame.chunk).toBe(2);
    expect(result.ok && Array.from(result.frame.mulaw)).toEqual([0xff, 0x7f, 0x00, 0x80]);
  });

  it("round-trips what buildTwilioMediaMessage produces", () => {
    const frame = { track: "inbound" as const, timestampMs: 1234, chunk: 62, mulaw: new Uint8Array([1, 2, 3, 250]) };
    const wire = JSON.parse(JSON.stringify(buildTwilioMediaMessage(frame, "MZ1", 7))) as unknown;
    expect(parseTwilioMediaMessage(wire)).toEqual({ ok: true, frame: { ...frame, mulaw: Buffer.from(frame.mulaw) } });
  });

  it.each([
    [null, "not-a-media-message"],
    ["media", "not-a-media-message"],
    [{ event: "start", media: {} }, "not-a-media-message"],
    [{ event: "media" }, "not-a-media-message"],
    [message({ track: "both" }), "unknown-track"],
    [message({ timestamp: "-20" }), "invalid-timestamp"],
    [message({ timestamp: "1e3" }), "invalid-timestamp"],
    [message({ timestamp: undefined }), "invalid-timestamp"],
    [message({ chunk: "x" }), "invalid-chunk"],
    [message({ payload: 42 }), "invalid-payload"],
    [message({ payload: "" }), "invalid-payload"],
    [message({ payload: "not base64!" }), "invalid-payload"],
    [message({ payload: "A".repeat(Math.ceil(MAX_MEDIA_PAYLOAD_BYTES / 3) * 4 + 4) }), "oversized-payload"],
  ])("rejects %j as %s without throwing", (input, reason) => {
    expect(parseTwilioMediaMessage(input)).toEqual({ ok: false, reason });
  });
});
