import type { EncryptionContext } from "./encrypted-object-writer";
import { openSegment } from "./segment-cipher";
import { HEADER_BYTES, parseHeader, SegmentHeader, TAG_BYTES } from "./segment-format";

/**
 * Decrypts what an unfinished encrypted upload holds (its writer died): every complete segment, in order,
 * one at a time. None of them was sealed as final, and each still authenticates at its index; a trailing
 * partial segment (cut by the crash) is ignored, since a segment is written whole or not at all only once
 * it is sealed.
 */
export async function* decryptUnfinished(stored: AsyncIterable<Uint8Array>, context: EncryptionContext): AsyncGenerator<Buffer> {
  let buffered = Buffer.alloc(0);
  let header: SegmentHeader | undefined;
  let index = 0;
  for await (const piece of stored) {
    buffered = buffered.length === 0 ? Buffer.from(piece) : Buffer.concat([buffered, piece]);
    if (!header) {
      if (buffered.length < HEADER_BYTES) continue;
      header = parseHeader(buffered);
      buffered = buffered.subarray(HEADER_BYTES);
    }
    const stride = header.segmentBytes + TAG_BYTES;
    while (buffered.length >= stride) {
      yield openSegment(context.dataKey, header, { objectId: context.objectId, index, isFinal: false }, buffered.subarray(0, stride));
      index++;
      buffered = buffered.subarray(stride);
    }
  }
}
