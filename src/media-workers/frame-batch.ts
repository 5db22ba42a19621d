import { MediaFrame, Track } from "../media/media-frame";

// Per frame: session (u32), track (u8), timestampMs (f64: Twilio's counter may exceed 32 bits), μ-law length (u16).
const HEADER_BYTES = 4 + 1 + 8 + 2;
const TRACK_CODES: Record<Track, number> = { inbound: 0, outbound: 1 };
const TRACK_NAMES: readonly Track[] = ["inbound", "outbound"];
const INITIAL_CAPACITY = 16 * 1024;
const MAX_PACKED_FRAME_BYTES = 0xffff;

export interface PackedFrame {
  session: number;
  frame: MediaFrame;
}

/**
 * Packs the frames bound for one worker into one buffer, so a batch crosses to the worker as a single
 * transferred ArrayBuffer instead of thousands of structured-cloned objects.
 */
export class FrameBatchWriter {
  private bytes = new Uint8Array(INITIAL_CAPACITY);
  private view = new DataView(this.bytes.buffer);
  private length = 0;
  private frames = 0;

  get count(): number {
    return this.frames;
  }

  append(session: number, frame: MediaFrame): void {
    // The parser caps payloads far below this (MAX_MEDIA_PAYLOAD_BYTES); a longer one would corrupt the batch.
    if (frame.mulaw.length > MAX_PACKED_FRAME_BYTES) throw new RangeError(`a ${frame.mulaw.length}-byte frame does not fit a packed batch`);
    const size = HEADER_BYTES + frame.mulaw.length;
    if (this.length + size > this.bytes.length) this.grow(this.length + size);
    const at = this.length;
    this.view.setUint32(at, session);
    this.view.setUint8(at + 4, TRACK_CODES[frame.track]);
    this.view.setFloat64(at + 5, frame.timestampMs);
    this.view.setUint16(at + 13, frame.mulaw.length);
    this.bytes.set(frame.mulaw, at + HEADER_BYTES);
    this.length += size;
    this.frames++;
  }

  /** Hands over the packed frames (an exact-size buffer, safe to transfer) and starts an empty batch. */
  take(): Uint8Array {
    const packed = this.bytes.slice(0, this.length);
    this.length = 0;
    this.frames = 0;
    return packed;
  }

  private grow(needed: number): void {
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const bigger = new Uint8Array(capacity);
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
  }
}

/** Unpacks a batch in order; each frame's μ-law views the batch buffer (the mixer copies what it keeps). */
export function* readFrameBatch(packed: Uint8Array): Generator<PackedFrame> {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  for (let at = 0; at < packed.length; ) {
    const length = view.getUint16(at + 13);
    const frame: MediaFrame = {
      track: TRACK_NAMES[view.getUint8(at + 4)],
      timestampMs: view.getFloat64(at + 5),
      mulaw: packed.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length),
    };
    yield { session: view.getUint32(at), frame };
    at += HEADER_BYTES + length;
  }
}
