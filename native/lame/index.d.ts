/** A LAME encoder handle; closed by flush (or when collected). */
export type LameHandle = { readonly __lame: unique symbol };
/** A mono CBR encoder whose output sample rate is its input's; quality as LAME's -q (0 best … 9 fastest). */
export function create(sampleRateHz: number, bitrateKbps: number, quality: number): LameHandle;
/** The MP3 bytes this input completed (often none). */
export function encode(encoder: LameHandle, pcm: Int16Array): Buffer;
/** The last MP3 bytes; the encoder is closed afterwards. */
export function flush(encoder: LameHandle): Buffer;
/** The linked LAME's version, e.g. "3.100". */
export function version(): string;
