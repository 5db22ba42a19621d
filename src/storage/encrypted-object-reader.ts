import { ObjectNotFoundError, ObjectStore } from "./object-store";
import { openSegment } from "./segment-cipher";
import {
  HEADER_BYTES,
  layoutFor,
  ObjectIntegrityError,
  parseHeader,
  SegmentHeader,
  SegmentLayout,
  segmentOffset,
  storedSegmentBytes,
} from "./segment-format";
import { EncryptionContext } from "./encrypted-object-writer";

/** Inclusive byte range of the plaintext, as in an HTTP `Range: bytes=start-end` header. */
export interface PlaintextRange {
  start: number;
  endInclusive: number;
}

export class RangeNotSatisfiableError extends Error {
  constructor(
    readonly range: PlaintextRange,
    readonly plaintextBytes: number,
  ) {
    super(`Range ${range.start}-${range.endInclusive} is outside the ${plaintextBytes}-byte recording`);
    this.name = "RangeNotSatisfiableError";
  }
}

/** Segments fetched per store read: large enough to amortise a round trip, small enough to stream. */
const READ_BATCH_BYTES = 1024 * 1024;

/**
 * Random access to an encrypted recording: reads and decrypts only the segments a range touches.
 * Opening authenticates the last segment, so `plaintextBytes` (and a Content-Range total) is trustworthy.
 */
export class EncryptedObjectReader {
  private constructor(
    private readonly store: ObjectStore,
    private readonly key: string,
    private readonly context: EncryptionContext,
    private readonly header: SegmentHeader,
    private readonly layout: SegmentLayout,
  ) {}

  static async open(store: ObjectStore, key: string, context: EncryptionContext): Promise<EncryptedObjectReader> {
    const info = await store.stat(key);
    if (!info) throw new ObjectNotFoundError(key);
    const header = parseHeader(await store.readRange(key, 0, HEADER_BYTES));
    const layout = layoutFor(info.size, header.segmentBytes);
    const reader = new EncryptedObjectReader(store, key, { ...context }, header, layout);
    await reader.readSegments(layout.segmentCount - 1, layout.segmentCount - 1);
    return reader;
  }

  get plaintextBytes(): number {
    return this.layout.plaintextBytes;
  }

  /** Yields exactly the plaintext bytes of `range`, decrypting segment batch by batch. */
  async *read(range: PlaintextRange): AsyncGenerator<Uint8Array> {
    const { start, endInclusive } = range;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive) || start < 0 || endInclusive < start || endInclusive >= this.plaintextBytes) {
      throw new RangeNotSatisfiableError(range, this.plaintextBytes);
    }
    const { segmentBytes } = this.layout;
    const firstSegment = Math.floor(start / segmentBytes);
    const lastSegment = Math.floor(endInclusive / segmentBytes);
    const segmentsPerBatch = Math.max(1, Math.floor(READ_BATCH_BYTES / segmentBytes));
    for (let batchStart = firstSegment; batchStart <= lastSegment; batchStart += segmentsPerBatch) {
      const batchEnd = Math.min(lastSegment, batchStart + segmentsPerBatch - 1);
      const plaintexts = await this.readSegments(batchStart, batchEnd);
      for (let i = 0; i < plaintexts.length; i++) {
        const segmentStart = (batchStart + i) * segmentBytes;
        const from = Math.max(start, segmentStart) - segmentStart;
        const to = Math.min(endInclusive + 1, segmentStart + plaintexts[i].length) - segmentStart;
        yield plaintexts[i].subarray(from, to);
      }
    }
  }

  /** Convenience for small objects and tests: the whole plaintext in memory. */
  async readAll(): Promise<Buffer> {
    if (this.plaintextBytes === 0) return Buffer.alloc(0);
    const pieces: Uint8Array[] = [];
    for await (const piece of this.read({ start: 0, endInclusive: this.plaintextBytes - 1 })) pieces.push(piece);
    return Buffer.concat(pieces);
  }

  private async readSegments(first: number, last: number): Promise<Buffer[]> {
    const from = segmentOffset(this.layout, first);
    const to = segmentOffset(this.layout, last) + storedSegmentBytes(this.layout, last);
    const sealed = await this.store.readRange(this.key, from, to);
    if (sealed.length !== to - from) throw new ObjectIntegrityError("Encrypted recording changed or was truncated while reading");
    const plaintexts: Buffer[] = [];
    for (let index = first; index <= last; index++) {
      const offset = segmentOffset(this.layout, index) - from;
      const position = { objectId: this.context.objectId, index, isFinal: index === this.layout.segmentCount - 1 };
      plaintexts.push(openSegment(this.context.dataKey, this.header, position, sealed.subarray(offset, offset + storedSegmentBytes(this.layout, index))));
    }
    return plaintexts;
  }
}
