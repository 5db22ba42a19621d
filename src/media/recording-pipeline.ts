import { concatBytes } from "./bytes";
import { MediaFrame, PcmChunk } from "./media-frame";
import { Mp3Encoder, Mp3Summary } from "./mp3-encoder";
import { PauseCutter, PauseCutterOptions, PauseOutcome, PauseSpan } from "./pause-cutter";
import { FrameOutcome, TrackMixer, TrackMixerOptions } from "./track-mixer";

export interface RecordingPipelineOptions {
  mixer: Partial<TrackMixerOptions>;
  cutter: Partial<PauseCutterOptions>;
}

export interface FrameResult {
  outcome: FrameOutcome;
  /** MP3 bytes completed by this frame, possibly empty; append them to storage in order. */
  mp3: Uint8Array;
}

/**
 * One call's media path: frames → TrackMixer → PauseCutter → Mp3Encoder. Synchronous and free of I/O;
 * the caller moves the MP3 bytes to storage. Paused audio is cut before the encoder ever sees it.
 */
export class RecordingPipeline {
  private constructor(
    private readonly mixer: TrackMixer,
    private readonly cutter: PauseCutter,
    private readonly encoder: Mp3Encoder,
  ) {}

  static async create(options: Partial<RecordingPipelineOptions> = {}): Promise<RecordingPipeline> {
    return new RecordingPipeline(new TrackMixer(options.mixer), new PauseCutter(options.cutter), await Mp3Encoder.create());
  }

  pushFrame(frame: MediaFrame): FrameResult {
    const { outcome, mixed } = this.mixer.push(frame);
    return { outcome, mp3: this.cutAndEncode(mixed) };
  }

  applyPause(span: PauseSpan): PauseOutcome {
    return this.cutter.applyPause(span);
  }

  /** Ends the call: drains every stage and returns the last MP3 bytes with the summary of the whole file. */
  finish(): { mp3: Uint8Array; summary: Mp3Summary } {
    const pieces = [this.cutAndEncode(this.mixer.flush())];
    const released = this.cutter.flush();
    if (released) pieces.push(this.encoder.encode(released.samples));
    const { tail, summary } = this.encoder.finalize();
    pieces.push(tail);
    return { mp3: concatBytes(pieces), summary };
  }

  private cutAndEncode(mixed: PcmChunk | null): Uint8Array {
    if (!mixed) return new Uint8Array(0);
    const { released } = this.cutter.push(mixed);
    return released ? this.encoder.encode(released.samples) : new Uint8Array(0);
  }
}
