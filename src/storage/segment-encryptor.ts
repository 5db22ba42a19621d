import { randomBytes } from "node:crypto";
import { DATA_KEY_BYTES } from "./envelope-keys";
import { sealSegment } from "./segment-cipher";
import { DEFAULT_SEGMENT_BYTES, encodeHeader, NONCE_PREFIX_BYTES, SegmentHeader } from "./segment-format";

/**
 * Turns plaintext fed in arbitrary pieces into the segmented format of segment-format.ts, emitting
 * each segment as soon as it is known not to be the last one. Pure: no I/O.
 */
export class SegmentEncryptor {
  private readonly dataKey: Buffer;
  private readonly header: SegmentHeader;
  private readonly pending: Buffer;
  private pendingBytes = 0;
  private nextIndex = 0;
  private headerEmitted = false;
  private finished = false;

  constructor(
    dataKey: Uint8Array,
    private readonly objectId: string,
    segmentBytes: number = DEFAULT_SEGMENT_BYTES,
  ) {
    if (dataKey.length !== DATA_KEY_BYTES) throw new RangeError(`A data key is ${DATA_KEY_BYTES} bytes`);
    this.dataKey = Buffer.from(dataKey);
    this.header = encodeHeader(segmentBytes, randomBytes(NONCE_PREFIX_BYTES));
    this.pending = Buffer.alloc(segmentBytes);
  }

  /** Bytes to append to the object, in order; empty until a segment completes. */
  push(plaintext: Uint8Array): Buffer[] {
    if (this.finished) throw new Error("SegmentEncryptor.push called after finish");
    const out = this.takeHeader();
    let offset = 0;
    while (offset < plaintext.length) {
      // A full segment is sealed only once more data arrives: until then it might be the final one.
      if (this.pendingBytes === this.pending.length) out.push(this.sealPending(false));
      const take = Math.min(plaintext.length - offset, this.pending.length - this.pendingBytes);
      this.pending.set(plaintext.subarray(offset, offset + take), this.pendingBytes);
      this.pendingBytes += take;
      offset += take;
    }
    return out;
  }

  /** Seals the last segment; the key copy and buffered plaintext are wiped. */
  finish(): Buffer[] {
    if (this.finished) return [];
    const out = this.takeHeader();
    out.push(this.sealPending(true));
    this.finished = true;
    this.dataKey.fill(0);
    this.pending.fill(0);
    return out;
  }

  private takeHeader(): Buffer[] {
    if (this.headerEmitted) return [];
    this.headerEmitted = true;
    return [this.header.encoded];
  }

  private sealPending(isFinal: boolean): Buffer {
    const position = { objectId: this.objectId, index: this.nextIndex, isFinal };
    const sealed = sealSegment(this.dataKey, this.header, position, this.pending.subarray(0, this.pendingBytes));
    this.nextIndex++;
    this.pendingBytes = 0;
    return sealed;
  }
}
