/**
 * On-disk format of an encrypted recording (segmented AES-256-GCM, in the spirit of Tink's streaming AEAD):
 *
 *   header (20 bytes)
 *     0   4  magic "CVE1"
 *     4   1  format version, 0x01
 *     5   3  reserved, zero
 *     8   4  plaintext segment size S, uint32 big-endian (1 KiB … 16 MiB; default 64 KiB)
 *    12   7  nonce prefix, random per object
 *    19   1  reserved, zero
 *   segment 0 … segment n−1, each: AES-256-GCM ciphertext || 16-byte tag
 *     every segment but the last holds exactly S plaintext bytes; the last holds 1 … S
 *     (0 only when the whole plaintext is empty), so lengths follow from the object size alone.
 *
 *   key     the recording's data key (see envelope-keys.ts); never stored in the object
 *   nonce   noncePrefix(7) || segmentIndex uint32 BE || finalFlag (0x01 last segment, else 0x00)
 *   AAD     header(20) || segmentIndex uint32 BE || finalFlag || objectId (UTF-8)
 *
 * Binding the index and object id means segments cannot be reordered or moved between objects;
 * the final flag means cutting the object at a segment boundary is detected, because the new last
 * segment was sealed as non-final. Nothing outside the tags is trusted: a forged header changes
 * the AAD and every segment fails.
 */

export const HEADER_BYTES = 20;
export const TAG_BYTES = 16;
export const NONCE_PREFIX_BYTES = 7;
export const DEFAULT_SEGMENT_BYTES = 64 * 1024;
export const MIN_SEGMENT_BYTES = 1024;
export const MAX_SEGMENT_BYTES = 16 * 1024 * 1024;
const MAGIC = Buffer.from("CVE1", "ascii");
const VERSION = 0x01;

export interface SegmentHeader {
  segmentBytes: number;
  noncePrefix: Uint8Array;
  /** The 20 encoded bytes, part of every segment's AAD. */
  encoded: Buffer;
}

/** The object is not a well-formed encrypted recording, was tampered with, or the key is wrong. */
export class ObjectIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ObjectIntegrityError";
  }
}

export function encodeHeader(segmentBytes: number, noncePrefix: Uint8Array): SegmentHeader {
  if (!Number.isInteger(segmentBytes) || segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > MAX_SEGMENT_BYTES) {
    throw new RangeError(`Segment size must be an integer from ${MIN_SEGMENT_BYTES} to ${MAX_SEGMENT_BYTES}`);
  }
  if (noncePrefix.length !== NONCE_PREFIX_BYTES) throw new RangeError(`Nonce prefix must be ${NONCE_PREFIX_BYTES} bytes`);
  const encoded = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(encoded, 0);
  encoded[4] = VERSION;
  encoded.writeUInt32BE(segmentBytes, 8);
  encoded.set(noncePrefix, 12);
  return { segmentBytes, noncePrefix: encoded.subarray(12, 12 + NONCE_PREFIX_BYTES), encoded };
}

export function parseHeader(bytes: Uint8Array): SegmentHeader {
  const encoded = Buffer.from(bytes.subarray(0, HEADER_BYTES));
  const reservedZero = encoded.length === HEADER_BYTES && encoded[5] === 0 && encoded[6] === 0 && encoded[7] === 0 && encoded[19] === 0;
  if (!reservedZero || !encoded.subarray(0, 4).equals(MAGIC) || encoded[4] !== VERSION) {
    throw new ObjectIntegrityError("Not an encrypted recording (bad header)");
  }
  const segmentBytes = encoded.readUInt32BE(8);
  if (segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > MAX_SEGMENT_BYTES) {
    throw new ObjectIntegrityError("Encrypted recording header has an invalid segment size");
  }
  return { segmentBytes, noncePrefix: encoded.subarray(12, 12 + NONCE_PREFIX_BYTES), encoded };
}

export function segmentNonce(header: SegmentHeader, index: number, isFinal: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.set(header.noncePrefix, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  nonce[11] = isFinal ? 1 : 0;
  return nonce;
}

export function segmentAad(header: SegmentHeader, objectId: string, index: number, isFinal: boolean): Buffer {
  const position = Buffer.alloc(5);
  position.writeUInt32BE(index, 0);
  position[4] = isFinal ? 1 : 0;
  return Buffer.concat([header.encoded, position, Buffer.from(objectId, "utf8")]);
}

export interface SegmentLayout {
  segmentBytes: number;
  segmentCount: number;
  plaintextBytes: number;
}

/** Derives segment count and plaintext length from the total object size. */
export function layoutFor(objectBytes: number, segmentBytes: number): SegmentLayout {
  const body = objectBytes - HEADER_BYTES;
  const stride = segmentBytes + TAG_BYTES;
  const segmentCount = Math.ceil(body / stride);
  const lastSegment = body - (segmentCount - 1) * stride;
  if (body < TAG_BYTES || lastSegment < TAG_BYTES || segmentCount > 0xffffffff) {
    throw new ObjectIntegrityError("Encrypted recording is truncated or has a trailing fragment");
  }
  return { segmentBytes, segmentCount, plaintextBytes: (segmentCount - 1) * segmentBytes + lastSegment - TAG_BYTES };
}

/** Byte offset of segment `index` in the object. */
export function segmentOffset(layout: SegmentLayout, index: number): number {
  return HEADER_BYTES + index * (layout.segmentBytes + TAG_BYTES);
}

/** Stored length (ciphertext + tag) of segment `index`. */
export function storedSegmentBytes(layout: SegmentLayout, index: number): number {
  const isLast = index === layout.segmentCount - 1;
  const plaintext = isLast ? layout.plaintextBytes - index * layout.segmentBytes : layout.segmentBytes;
  return plaintext + TAG_BYTES;
}
