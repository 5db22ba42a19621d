import { MediaFrame, Track } from "./media-frame";
import { MAX_MEDIA_PAYLOAD_BYTES, MediaMessageParseResult } from "./twilio-media-message";

/**
 * A fast path for the one message a media stream is made of: `{"event":"media",…,"media":{"track",
 * "chunk","timestamp","payload"}}`, read straight from the WebSocket's bytes. JSON.parse builds every
 * key and value as a JS string and object, then the payload is decoded from a string again; at ~100
 * messages a second per call that is most of the event loop's parsing work. This reads the few fields
 * in place and decodes the base64 from the bytes.
 *
 * It answers only what it is sure of: a valid media frame, exactly as parseTwilioMediaMessage(JSON.parse(…))
 * would return it. Anything else — escapes, literals, arrays, floats, duplicate keys, other events, an
 * invalid field — gives `undefined`, and the caller takes the general path, which decides (and rejects).
 */
export function readTwilioMediaMessage(bytes: Uint8Array): MediaMessageParseResult | undefined {
  const reader = new JsonReader(bytes);
  const fields = reader.topLevel();
  if (!fields || !reader.atEnd() || !reader.is(fields.event, KEY.media)) return undefined;
  return toFrame(reader, bytes, fields.media);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const ZERO = 0x30;
const NINE = 0x39;
const EQUALS = 0x3d;

/** A scalar as found in the bytes: a string's [from, to) or an integer's value. */
type Scalar = { from: number; to: number } | number;

interface MediaFields {
  track?: Scalar;
  chunk?: Scalar;
  timestamp?: Scalar;
  payload?: Scalar;
}

const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const KEY = { event: ascii("event"), media: ascii("media"), track: ascii("track"), chunk: ascii("chunk"), timestamp: ascii("timestamp"), payload: ascii("payload") };
const MEDIA_KEYS = ["track", "chunk", "timestamp", "payload"] as const;
const INBOUND = ascii("inbound");
const OUTBOUND = ascii("outbound");
const MAX_PAYLOAD_BASE64_LENGTH = Math.ceil(MAX_MEDIA_PAYLOAD_BYTES / 3) * 4;
const MAX_COUNTER_DIGITS = 15;

/** A deliberately small JSON reader: objects (one level of nesting, for `media`), plain strings, non-negative integers. */
class JsonReader {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  topLevel(): { event: Scalar | undefined; media: MediaFields } | undefined {
    let event: Scalar | undefined;
    let media: MediaFields | undefined;
    if (!this.open()) return undefined;
    for (let more = this.firstMember(); more; more = this.nextMember()) {
      const key = this.key();
      if (!key) return undefined;
      if (this.is(key, KEY.media)) {
        if (media || this.peek() !== OPEN) return undefined;
        media = this.mediaObject();
        if (!media) return undefined;
        continue;
      }
      const value = this.scalar(false);
      if (value === undefined) return undefined;
      if (this.is(key, KEY.event)) {
        if (event !== undefined) return undefined;
        event = value;
      }
    }
    if (this.failed || !media) return undefined;
    return { event, media };
  }

  atEnd(): boolean {
    this.whitespace();
    return this.at === this.bytes.length;
  }

  /** Whether [from, to) holds exactly `expected`. */
  is(value: Scalar | undefined, expected: Uint8Array): boolean {
    if (value === undefined || typeof value === "number" || value.to - value.from !== expected.length) return false;
    for (let i = 0; i < expected.length; i++) if (this.bytes[value.from + i] !== expected[i]) return false;
    return true;
  }

  private failed = false;

  private mediaObject(): MediaFields | undefined {
    const fields: MediaFields = {};
    this.open();
    for (let more = this.firstMember(); more; more = this.nextMember()) {
      const key = this.key();
      if (!key) return undefined;
      const name = MEDIA_KEYS.find((candidate) => this.is(key, KEY[candidate]));
      // The payload's characters are all checked by the base64 decoder, so its scan can skip them.
      const value = this.scalar(name === "payload");
      if (value === undefined) return undefined;
      if (!name) continue;
      if (fields[name] !== undefined) return undefined;
      fields[name] = value;
    }
    return this.failed ? undefined : fields;
  }

  private open(): boolean {
    if (this.peek() !== OPEN) return false;
    this.at++;
    return true;
  }

  /** After `{`: whether a member follows (false: `}` closed an empty object). */
  private firstMember(): boolean {
    if (this.peek() !== CLOSE) return true;
    this.at++;
    return false;
  }

  /** After a member: `,` (another follows), `}` (done) or anything else (malformed: `failed`). */
  private nextMember(): boolean {
    const next = this.peek();
    this.at++;
    if (next === COMMA) return true;
    if (next !== CLOSE) this.failed = true;
    return false;
  }

  /** `"key":` */
  private key(): { from: number; to: number } | undefined {
    this.whitespace();
    const key = this.string(false);
    if (!key || this.peek() !== COLON) return undefined;
    this.at++;
    return key;
  }

  private peek(): number {
    this.whitespace();
    return this.bytes[this.at];
  }

  private scalar(checkedLater: boolean): Scalar | undefined {
    const first = this.peek();
    if (first === QUOTE) return this.string(checkedLater);
    if (first < ZERO || first > NINE) return undefined;
    const from = this.at;
    let value = 0;
    while (this.bytes[this.at] >= ZERO && this.bytes[this.at] <= NINE) value = value * 10 + (this.bytes[this.at++] - ZERO);
    const next = this.bytes[this.at];
    // JSON has no leading zeros; fractions and exponents are left to JSON.parse.
    if ((first === ZERO && this.at - from > 1) || next === 0x2e || next === 0x65 || next === 0x45) return undefined;
    return value;
  }

  /**
   * A string without escapes or control characters (JSON.parse would unescape or reject those): it ends at
   * the first quote, and a backslash before it means an escape, which is left to JSON.parse.
   */
  private string(checkedLater: boolean): { from: number; to: number } | undefined {
    if (this.bytes[this.at] !== QUOTE) return undefined;
    const from = this.at + 1;
    const to = this.bytes.indexOf(QUOTE, from);
    if (to < 0) return undefined;
    if (!checkedLater) {
      for (let i = from; i < to; i++) if (this.bytes[i] === BACKSLASH || this.bytes[i] < 0x20) return undefined;
    }
    this.at = to + 1;
    return { from, to };
  }

  private whitespace(): void {
    for (let byte = this.bytes[this.at]; byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09; byte = this.bytes[++this.at]);
  }
}

function toFrame(reader: JsonReader, bytes: Uint8Array, media: MediaFields): MediaMessageParseResult | undefined {
  const track: Track | undefined = reader.is(media.track, INBOUND) ? "inbound" : reader.is(media.track, OUTBOUND) ? "outbound" : undefined;
  if (!track) return undefined;
  const timestampMs = counter(bytes, media.timestamp);
  if (timestampMs === undefined) return undefined;
  const chunk = media.chunk === undefined ? undefined : counter(bytes, media.chunk);
  if (media.chunk !== undefined && chunk === undefined) return undefined;
  if (media.payload === undefined || typeof media.payload === "number") return undefined;
  const mulaw = decodeBase64(bytes, media.payload.from, media.payload.to);
  if (!mulaw) return undefined;
  const frame: MediaFrame = { track, timestampMs, chunk, mulaw };
  return { ok: true, frame };
}

/** As parseTwilioMediaMessage's counters: a safe non-negative integer, or a string of 1–15 digits. */
function counter(bytes: Uint8Array, value: Scalar | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  const length = value.to - value.from;
  if (length < 1 || length > MAX_COUNTER_DIGITS) return undefined;
  let result = 0;
  for (let i = value.from; i < value.to; i++) {
    const digit = bytes[i] - ZERO;
    if (digit < 0 || digit > 9) return undefined;
    result = result * 10 + digit;
  }
  return result;
}

const BASE64_VALUES = (() => {
  const table = new Int8Array(256).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/** Strict base64 (length a multiple of 4, `=` only as the last one or two characters) straight from the bytes. */
function decodeBase64(bytes: Uint8Array, from: number, to: number): Buffer | undefined {
  const length = to - from;
  if (length === 0 || length % 4 !== 0 || length > MAX_PAYLOAD_BASE64_LENGTH) return undefined;
  const padding = bytes[to - 1] === EQUALS ? (bytes[to - 2] === EQUALS ? 2 : 1) : 0;
  const out = Buffer.allocUnsafe((length / 4) * 3 - padding);
  let written = 0;
  for (let i = from; i < to; i += 4) {
    const last = i + 4 === to;
    const a = BASE64_VALUES[bytes[i]];
    const b = BASE64_VALUES[bytes[i + 1]];
    const c = last && padding === 2 ? 0 : BASE64_VALUES[bytes[i + 2]];
    const d = last && padding >= 1 ? 0 : BASE64_VALUES[bytes[i + 3]];
    if ((a | b | c | d) < 0) return undefined;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    out[written++] = bits >> 16;
    if (written < out.length) out[written++] = (bits >> 8) & 0xff;
    if (written < out.length) out[written++] = bits & 0xff;
  }
  return out;
}
