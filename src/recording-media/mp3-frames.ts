import { MP3_FRAME_BYTES, MP3_SAMPLES_PER_FRAME, Mp3Encoder } from "../media/mp3-encoder";
import { SAMPLE_RATE_HZ } from "../media/media-frame";

export const MP3_FRAME_MS = (MP3_SAMPLES_PER_FRAME * 1000) / SAMPLE_RATE_HZ;
const SILENCE_SLICE_SAMPLES = 8 * SAMPLE_RATE_HZ;

/**
 * Passes through whole MP3 frames only (our encoder writes 32 kbps CBR at 8 kHz: every frame is 288 bytes),
 * stopping at the first byte that does not start a frame. What a crash cut mid-frame is dropped, so the
 * audio that follows can be appended: MP3 frames concatenate.
 */
export class Mp3FrameCutter {
  private carry = Buffer.alloc(0);
  private broken = false;
  frames = 0;

  push(bytes: Uint8Array): Buffer {
    if (this.broken) return Buffer.alloc(0);
    const data = this.carry.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.carry, bytes]);
    let whole = 0;
    while (whole + MP3_FRAME_BYTES <= data.length && isFrameStart(data, whole)) whole += MP3_FRAME_BYTES;
    if (whole + MP3_FRAME_BYTES <= data.length || (whole < data.length && !couldStartFrame(data, whole))) this.broken = true;
    this.carry = this.broken ? Buffer.alloc(0) : Buffer.from(data.subarray(whole));
    this.frames += whole / MP3_FRAME_BYTES;
    return data.subarray(0, whole);
  }

  get durationMs(): number {
    return this.frames * MP3_FRAME_MS;
  }
}

/** MPEG sync (11 bits set) followed by MPEG-2.5 Layer III, as our encoder writes at 8 kHz. */
function isFrameStart(data: Buffer, at: number): boolean {
  return data[at] === 0xff && (data[at + 1] & 0xe0) === 0xe0;
}

function couldStartFrame(data: Buffer, at: number): boolean {
  return data[at] === 0xff && (at + 1 >= data.length || (data[at + 1] & 0xe0) === 0xe0);
}

/** MP3 frames of silence lasting about `ms`, produced slice by slice (a long gap is never one buffer). */
export async function* silenceMp3(ms: number): AsyncGenerator<Uint8Array> {
  const samples = Math.round((ms * SAMPLE_RATE_HZ) / 1000);
  if (samples <= 0) return;
  const encoder = await Mp3Encoder.create();
  for (let done = 0; done < samples; done += SILENCE_SLICE_SAMPLES) {
    const bytes = encoder.encode(new Int16Array(Math.min(SILENCE_SLICE_SAMPLES, samples - done)));
    if (bytes.length > 0) yield bytes;
  }
  const { tail } = encoder.finalize();
  if (tail.length > 0) yield tail;
}
