import { randomFillSync } from "node:crypto";

/** Random bytes drawn in bulk: one call into the system's generator for every 256 ids. */
const pool = Buffer.alloc(16 * 256);
let poolUsed = pool.length;

/**
 * A new row id: a UUID version 7 (RFC 9562), the milliseconds since the epoch in its first 48 bits and 74
 * random bits after them. Ids made close in time sort close together, so a row inserted lands in the same
 * B-tree pages as the rows inserted just before it: with random (version 4) ids every pause wrote its hold and
 * its interval into a random leaf page of each table, and under `bench:control`'s pause/resume load on SQLite a
 * pair wrote a quarter more bytes to the log. An id still says nothing a client cannot already read (the row's
 * creation time is in the API) and cannot be guessed; access never rests on knowing one.
 */
export function newId(): string {
  if (poolUsed === pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  const bytes = pool.subarray(poolUsed, poolUsed + 16);
  poolUsed += 16;
  bytes.writeUIntBE(Date.now(), 0, 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Any UUID: rows made before ids were version 7 keep their version 4 ids. */
export const isUuid = (value: string): boolean => UUID.test(value);
