import { sineTone } from "../media/analysis/tone";
import { MediaFrame, SAMPLE_RATE_HZ, SAMPLES_PER_MS, Track } from "../media/media-frame";
import { encodeMulaw } from "../media/mulaw";

const FRAME_MS = 20;
const FRAME_SAMPLES = FRAME_MS * SAMPLES_PER_MS;

/** Who "speaks" when: alternating turns, each a short melody, so the demo MP3s sound like a conversation. */
const TURNS: { track: Track; notesHz: number[] }[] = [
  { track: "inbound", notesHz: [392, 440, 494, 440] },
  { track: "outbound", notesHz: [330, 294, 262] },
  { track: "inbound", notesHz: [523, 494, 440, 392, 440] },
  { track: "outbound", notesHz: [294, 330, 349, 330] },
];
const NOTE_MS = 300;
const GAP_MS = 200;

/** Twilio-format frames of both tracks for a synthesized call of `turns` turns, in stream order. */
export function demoCallFrames(turns = TURNS.length): MediaFrame[] {
  const spans: { track: Track; fromMs: number; toMs: number; frequencyHz: number }[] = [];
  let at = 0;
  for (let i = 0; i < turns; i++) {
    const turn = TURNS[i % TURNS.length];
    for (const frequencyHz of turn.notesHz) {
      spans.push({ track: turn.track, fromMs: at, toMs: at + NOTE_MS, frequencyHz });
      at += NOTE_MS;
    }
    at += GAP_MS;
  }
  const frames: MediaFrame[] = [];
  for (let timestampMs = 0, chunk = 1; timestampMs < at; timestampMs += FRAME_MS, chunk++) {
    for (const track of ["inbound", "outbound"] as Track[]) {
      const note = spans.find((s) => s.track === track && timestampMs >= s.fromMs && timestampMs < s.toMs);
      const pcm = note
        ? sineTone({ frequencyHz: note.frequencyHz, sampleRateHz: SAMPLE_RATE_HZ, samples: FRAME_SAMPLES, amplitude: 6000, startSample: timestampMs * SAMPLES_PER_MS })
        : new Int16Array(FRAME_SAMPLES);
      frames.push({ track, timestampMs, chunk, mulaw: encodeMulaw(pcm) });
    }
  }
  return frames;
}
