/**
 * Parsing Twilio `media` messages on the event loop, side by side on the same bytes: the general path
 * (UTF-8 decode, JSON.parse, parseTwilioMediaMessage) against the fast path (readTwilioMediaMessage, which
 * reads the fields and decodes the base64 straight from the WebSocket's Buffer). Build and run:
 *   npx tsc -p bench/tsconfig.json && node dist/bench/media-parse.js [seconds of call=60] [rounds=5]
 */
import os from "node:os";
import { parseTwilioMediaMessage } from "../src/media/twilio-media-message";
import { readTwilioMediaMessage } from "../src/media/twilio-media-reader";
import { buildCallCorpus, FRAME_MS } from "./call-corpus";

function general(bytes: Buffer): number {
  const parsed = parseTwilioMediaMessage(JSON.parse(bytes.toString("utf8")));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.frame.mulaw.length;
}

function fast(bytes: Buffer): number {
  const parsed = readTwilioMediaMessage(bytes);
  if (!parsed?.ok) throw new Error("the fast path declined a Twilio media message");
  return parsed.frame.mulaw.length;
}

/** Best of `rounds` passes over every message: nanoseconds per message. */
function time(messages: Buffer[], rounds: number, parse: (bytes: Buffer) => number): number {
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    let bytes = 0;
    const started = process.hrtime.bigint();
    for (const message of messages) bytes += parse(message);
    const elapsed = Number(process.hrtime.bigint() - started);
    if (bytes === 0) throw new Error("nothing parsed");
    best = Math.min(best, elapsed / messages.length);
  }
  return best;
}

function main(): void {
  const seconds = Number(process.argv[2] ?? 60);
  const rounds = Number(process.argv[3] ?? 5);
  const corpus = buildCallCorpus(seconds);
  const messages = corpus.messages.flat().map((text) => Buffer.from(text));
  console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`${messages.length} media messages (${seconds} s of a two-track call, ~${messages[0].length} bytes each), best of ${rounds} passes after a warm-up pass`);
  time(messages, 1, general);
  time(messages, 1, fast);
  const generalNs = time(messages, rounds, general);
  const fastNs = time(messages, rounds, fast);
  // A call sends two messages (one per track) every FRAME_MS.
  const perCallSecond = (ns: number) => ((ns * 2 * (1000 / FRAME_MS)) / 1e6).toFixed(3);
  console.log(`  JSON.parse + parseTwilioMediaMessage   ${generalNs.toFixed(0).padStart(6)} ns/message  ${perCallSecond(generalNs)} ms CPU per call-second`);
  console.log(`  readTwilioMediaMessage (fast path)     ${fastNs.toFixed(0).padStart(6)} ns/message  ${perCallSecond(fastNs)} ms CPU per call-second`);
  console.log(`  fast path: ${(generalNs / fastNs).toFixed(2)}× faster`);
}

main();
