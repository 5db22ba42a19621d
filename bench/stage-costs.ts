import { Mp3Encoder } from "../src/media/mp3-encoder";
import { PauseCutter } from "../src/media/pause-cutter";
import { TrackMixer } from "../src/media/track-mixer";
import { parseTwilioMediaMessage } from "../src/media/twilio-media-message";
import { generateDataKey } from "../src/storage/envelope-keys";
import { SegmentEncryptor } from "../src/storage/segment-encryptor";
import { CallCorpus, FRAME_MS } from "./call-corpus";

export interface StageCosts {
  /** CPU milliseconds per second of call audio, by stage. */
  parseMs: number;
  mixMs: number;
  cutMs: number;
  encodeMs: number;
  encryptMs: number;
  totalMs: number;
}

/**
 * Runs one call's messages through each stage as fast as possible, timing each stage separately.
 * The stages are the ones RecordingPipeline and EncryptedObjectWriter chain; storage I/O is excluded.
 */
export async function measureStageCosts(corpus: CallCorpus, calls: number): Promise<StageCosts> {
  const spent = { parseMs: 0, mixMs: 0, cutMs: 0, encodeMs: 0, encryptMs: 0 };
  const time = <T>(stage: keyof typeof spent, work: () => T): T => {
    const started = performance.now();
    const result = work();
    spent[stage] += performance.now() - started;
    return result;
  };
  for (let call = 0; call < calls; call++) {
    const mixer = new TrackMixer();
    const cutter = new PauseCutter();
    const encoder = await Mp3Encoder.create();
    const encryptor = new SegmentEncryptor(generateDataKey(), `call-${call}`);
    for (const pair of corpus.messages) {
      for (const text of pair) {
        const parsed = time("parseMs", () => parseTwilioMediaMessage(JSON.parse(text)));
        if (!parsed.ok) throw new Error(parsed.reason);
        const { mixed } = time("mixMs", () => mixer.push(parsed.frame));
        if (!mixed) continue;
        const { released } = time("cutMs", () => cutter.push(mixed));
        if (!released) continue;
        const mp3 = time("encodeMs", () => encoder.encode(released.samples));
        if (mp3.length > 0) time("encryptMs", () => encryptor.push(mp3));
      }
    }
  }
  const audioSeconds = (calls * corpus.frames * FRAME_MS) / 1000;
  const perSecond = (ms: number) => ms / audioSeconds;
  const costs = {
    parseMs: perSecond(spent.parseMs),
    mixMs: perSecond(spent.mixMs),
    cutMs: perSecond(spent.cutMs),
    encodeMs: perSecond(spent.encodeMs),
    encryptMs: perSecond(spent.encryptMs),
  };
  return { ...costs, totalMs: Object.values(costs).reduce((sum, ms) => sum + ms, 0) };
}
