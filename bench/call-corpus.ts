import { MediaFrame, SAMPLES_PER_MS, Track } from "../src/media/media-frame";
import { encodeMulaw } from "../src/media/mulaw";
import { buildTwilioMediaMessage } from "../src/media/twilio-media-message";
import { conversationTrack } from "./synthetic-audio";

export const FRAME_MS = 20;

/**
 * The WebSocket text messages of one call, frame by frame: `messages[k]` holds the inbound and
 * outbound `media` messages for 20 ms frame k. Built once and replayed by every simulated call.
 */
export interface CallCorpus {
  frames: number;
  messages: [string, string][];
}

function trackFrames(track: Track, pcm: Int16Array): MediaFrame[] {
  const samplesPerFrame = FRAME_MS * SAMPLES_PER_MS;
  const frames: MediaFrame[] = [];
  for (let k = 0; (k + 1) * samplesPerFrame <= pcm.length; k++) {
    const mulaw = encodeMulaw(pcm.subarray(k * samplesPerFrame, (k + 1) * samplesPerFrame));
    frames.push({ track, timestampMs: k * FRAME_MS, chunk: k + 1, mulaw });
  }
  return frames;
}

export function buildCallCorpus(seconds: number): CallCorpus {
  const inbound = trackFrames("inbound", conversationTrack(seconds, true, 11));
  const outbound = trackFrames("outbound", conversationTrack(seconds, false, 23));
  let sequence = 1;
  const messages = inbound.map((frame, k): [string, string] => [
    JSON.stringify(buildTwilioMediaMessage(frame, "MZbench", sequence++)),
    JSON.stringify(buildTwilioMediaMessage(outbound[k], "MZbench", sequence++)),
  ]);
  return { frames: messages.length, messages };
}
