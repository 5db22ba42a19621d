import { createCipheriv, createDecipheriv } from "node:crypto";
import { ObjectIntegrityError, segmentAad, SegmentHeader, segmentNonce, TAG_BYTES } from "./segment-format";

export interface SegmentPosition {
  objectId: string;
  index: number;
  isFinal: boolean;
}

export function sealSegment(dataKey: Uint8Array, header: SegmentHeader, position: SegmentPosition, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv("aes-256-gcm", dataKey, segmentNonce(header, position.index, position.isFinal));
  cipher.setAAD(segmentAad(header, position.objectId, position.index, position.isFinal));
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Throws ObjectIntegrityError when the segment is not exactly what was sealed at this position with this key. */
export function openSegment(dataKey: Uint8Array, header: SegmentHeader, position: SegmentPosition, sealed: Uint8Array): Buffer {
  if (sealed.length < TAG_BYTES) throw new ObjectIntegrityError(`Segment ${position.index} is truncated`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", dataKey, segmentNonce(header, position.index, position.isFinal));
    decipher.setAAD(segmentAad(header, position.objectId, position.index, position.isFinal));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new ObjectIntegrityError(`Segment ${position.index} failed authentication (tampered, truncated or wrong key)`);
  }
}
