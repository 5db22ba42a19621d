/**
 * Samples of leading delay in mpg123's output of our MP3s: LAME's encoder delay (576) plus the
 * decoder's own delay (529). Our MP3s carry no LAME/Info tag, so decoders cannot trim it.
 */
export const DECODED_DELAY_SAMPLES = 1105;
