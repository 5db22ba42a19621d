/** One call's LAME encoder, whichever build of LAME runs it. */
export interface LameStream {
  /** Samples wait here, in the build's own sample format, until `encodeStaged` hands them over. */
  readonly staged: Float32Array | Int16Array;
  /** Encodes the first `count` staged samples; returns the MP3 bytes they completed (a copy, possibly empty). */
  encodeStaged(count: number): Uint8Array;
  /** Flushes LAME and releases the encoder; returns the last bytes. */
  finish(): Uint8Array;
}

/**
 * Samples are staged and handed to LAME this many at a time (two MP3 frames): a call into LAME costs about as
 * much as encoding a 20 ms frame in the WebAssembly build (and a Buffer per call in the native one), and live
 * calls arrive 160 samples at a time. LAME's output does not depend on the chunking. Staging also bounds the
 * WebAssembly wrapper's PCM buffer, which grows to the largest chunk ever passed (its memory never shrinks).
 */
export const STAGED_SAMPLES = 2 * 576;
