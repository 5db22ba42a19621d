import { RecordingPipeline } from "../src/media/recording-pipeline";
import { parseTwilioMediaMessage } from "../src/media/twilio-media-message";
import { EncryptedObjectWriter } from "../src/storage/encrypted-object-writer";
import { generateDataKey } from "../src/storage/envelope-keys";
import { ObjectStore } from "../src/storage/object-store";

/** Everything the server does per call for each WebSocket message: parse, mix, cut, encode, encrypt, store. */
export class SimulatedCall {
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly pipeline: RecordingPipeline,
    private readonly writer: EncryptedObjectWriter,
  ) {}

  static async start(store: ObjectStore, id: string): Promise<SimulatedCall> {
    const pipeline = await RecordingPipeline.create();
    const writer = await EncryptedObjectWriter.begin(store, `bench/${id}`, { dataKey: generateDataKey(), objectId: id });
    return new SimulatedCall(pipeline, writer);
  }

  receive(text: string): void {
    const parsed = parseTwilioMediaMessage(JSON.parse(text));
    if (!parsed.ok) throw new Error(`Corpus message rejected: ${parsed.reason}`);
    const { outcome, mp3 } = this.pipeline.pushFrame(parsed.frame);
    if (outcome.kind !== "accepted") throw new Error(`Frame ${outcome.kind}`);
    if (mp3.length > 0) this.writes = Promise.all([this.writes, this.writer.write(mp3)]);
  }

  async end(): Promise<void> {
    const { mp3 } = this.pipeline.finish();
    await this.writer.write(mp3);
    await this.writes;
    await this.writer.commit();
  }
}
