import { interleave, trackFrames } from "../media/support/synthetic-call";
import type { TestApp } from "./test-app";
import { TwilioStreamClient } from "./twilio-stream-client";

/** Streams `ms` of a 440 Hz tone into a live call through the real media WebSocket, then stops the stream. */
export async function recordTone(t: TestApp, apiUserToken: string, callId: string, ms = 400): Promise<void> {
  const stream = await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(apiUserToken));
  stream.start({ callId });
  const tone = [{ fromMs: 0, toMs: ms, frequencyHz: 440, amplitude: 8000 }];
  stream.sendFrames(interleave(trackFrames("inbound", ms, tone), trackFrames("outbound", ms, [])));
  stream.stop();
  const closed = await stream.closed;
  if (closed.code !== 1000) throw new Error(`media stream closed with ${closed.code} ${closed.reason}`);
}
