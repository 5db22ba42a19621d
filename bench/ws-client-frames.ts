import { randomBytes } from "node:crypto";

/**
 * A client → server WebSocket text frame, masked as RFC 6455 requires of clients, built once so that a load
 * generator replays it with a single socket write. The mask key is random and never all zero: `ws` skips
 * unmasking for a zero key, and the server must do the same work it does for a real gateway's frames.
 */
export function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const lengthBytes = payload.length < 126 ? 0 : payload.length < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + lengthBytes + 4 + payload.length);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (lengthBytes === 0) frame[1] = 0x80 | payload.length;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(payload.length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  const maskAt = 2 + lengthBytes;
  let mask = randomBytes(4);
  while (mask.readUInt32BE(0) === 0) mask = randomBytes(4);
  mask.copy(frame, maskAt);
  for (let i = 0; i < payload.length; i++) frame[maskAt + 4 + i] = payload[i] ^ mask[i & 3];
  return frame;
}
