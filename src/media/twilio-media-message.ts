import { MediaFrame, Track, TRACKS } from "./media-frame";

/** The `media` message of Twilio Media Streams, as JSON-parsed from the WebSocket. */
export interface TwilioMediaMessage {
  event: "media";
  sequenceNumber: string;
  streamSid: string;
  media: { track: Track; chunk: string; timestamp: string; payload: string };
}

export type MediaMessageRejection =
  | "not-a-media-message"
  | "unknown-track"
  | "invalid-timestamp"
  | "invalid-chunk"
  | "invalid-payload"
  | "oversized-payload";

export type MediaMessageParseResult = { ok: true; frame: MediaFrame } | { ok: false; reason: MediaMessageRejection };

/** One second of μ-law; Twilio sends 20 ms, anything far larger is not a sane frame and is not worth decoding. */
export const MAX_MEDIA_PAYLOAD_BYTES = 8000;
const MAX_PAYLOAD_BASE64_LENGTH = Math.ceil(MAX_MEDIA_PAYLOAD_BYTES / 3) * 4;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const NON_NEGATIVE_INTEGER = /^\d{1,15}$/;

function parseCounter(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "string" && NON_NEGATIVE_INTEGER.test(value)) return Number(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Validates an untrusted, already JSON-parsed message; never throws. */
export function parseTwilioMediaMessage(message: unknown): MediaMessageParseResult {
  if (!isRecord(message) || message.event !== "media" || !isRecord(message.media)) {
    return { ok: false, reason: "not-a-media-message" };
  }
  const { track, timestamp, chunk, payload } = message.media;
  if (!TRACKS.includes(track as Track)) return { ok: false, reason: "unknown-track" };
  const timestampMs = parseCounter(timestamp);
  if (timestampMs === undefined) return { ok: false, reason: "invalid-timestamp" };
  const chunkNumber = chunk === undefined ? undefined : parseCounter(chunk);
  if (chunk !== undefined && chunkNumber === undefined) return { ok: false, reason: "invalid-chunk" };
  if (typeof payload !== "string") return { ok: false, reason: "invalid-payload" };
  if (payload.length > MAX_PAYLOAD_BASE64_LENGTH) return { ok: false, reason: "oversized-payload" };
  if (payload.length === 0 || payload.length % 4 !== 0 || !BASE64.test(payload)) {
    return { ok: false, reason: "invalid-payload" };
  }
  const mulaw = Buffer.from(payload, "base64");
  return { ok: true, frame: { track: track as Track, timestampMs, chunk: chunkNumber, mulaw } };
}

/** Builds the wire form of a frame, for simulators, tests and benchmarks. */
export function buildTwilioMediaMessage(frame: MediaFrame, streamSid: string, sequenceNumber: number): TwilioMediaMessage {
  return {
    event: "media",
    sequenceNumber: String(sequenceNumber),
    streamSid,
    media: {
      track: frame.track,
      chunk: String(frame.chunk ?? 0),
      timestamp: String(frame.timestampMs),
      payload: Buffer.from(frame.mulaw.buffer, frame.mulaw.byteOffset, frame.mulaw.byteLength).toString("base64"),
    },
  };
}
