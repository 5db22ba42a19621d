import type { PlaintextRange } from "../storage/encrypted-object-reader";

export type RangeRequest =
  /** No Range header, or one we ignore (other units, bad syntax, several ranges): serve the whole file. */
  | { kind: "whole" }
  | { kind: "partial"; range: PlaintextRange }
  | { kind: "unsatisfiable" };

const SINGLE = /^bytes=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i;
/** Beyond any recording we store (a 2 GiB MP3 is ~150 hours at 32 kbps); keeps the arithmetic exact. */
const MAX_DIGITS = 15;

/**
 * Reads a `Range` header (RFC 9110 §14.2) against a file of `size` bytes. One range is served as 206.
 * Several ranges are answered with the whole file (200), as RFC 9110 allows: a multipart/byteranges
 * body buys audio players nothing and would let one request fan out into many segment reads.
 * A header we cannot parse is ignored, as the RFC asks; a well-formed range entirely past the end is 416.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: "whole" };
  const match = SINGLE.exec(header.trim());
  if (!match) return { kind: "whole" };
  const [, first, last] = match;
  if (first.length > MAX_DIGITS || last.length > MAX_DIGITS) return { kind: "whole" };
  if (first === "" && last === "") return { kind: "whole" };
  if (first === "") {
    // bytes=-n: the last n bytes (all of them when n exceeds the size); n = 0 selects nothing.
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", range: { start: Math.max(0, size - suffix), endInclusive: size - 1 } };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return { kind: "whole" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", range: { start, endInclusive: last === "" ? size - 1 : Math.min(Number(last), size - 1) } };
}
