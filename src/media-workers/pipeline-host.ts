import { concatBytes } from "../media/bytes";
import { MP3_FRAME_BYTES } from "../media/mp3-encoder";
import { RecordingPipeline } from "../media/recording-pipeline";
import { readFrameBatch } from "./frame-batch";
import { COUNT_FIELDS, ControlCommand, PipelineBatch, PipelineReply, SessionReport } from "./pipeline-protocol";

/**
 * A session's MP3 bytes stay on the worker until this many are gathered (about 0.3 s of audio), so that the
 * main thread handles a few pieces a second per call instead of one per MP3 frame. Storage keeps no less:
 * the upload only ever holds sealed segments (INGEST_SEGMENT_BYTES, 2 s), which this is well below.
 */
const MP3_SHIP_BYTES = 4 * MP3_FRAME_BYTES;

interface HostedSession {
  session: number;
  pipeline: RecordingPipeline;
  accepted: number;
  dropped: number;
  rejected: number;
  /** What the next SessionReport carries; `mp3Bytes` counts the pieces in `mp3`. */
  report: Omit<SessionReport, "mp3">;
  mp3: Uint8Array[];
  mp3Bytes: number;
}

/**
 * The worker side of the media pipeline: the live calls assigned to one worker thread, each a
 * RecordingPipeline (mixer → pause cutter → MP3 encoder). Runs batches strictly in order. A call whose
 * pipeline throws is dropped and reported failed; the other calls on the worker carry on.
 */
export class PipelineHost {
  private readonly sessions = new Map<number, HostedSession>();
  private touched = new Set<HostedSession>();
  private readonly gone: SessionReport[] = [];

  get size(): number {
    return this.sessions.size;
  }

  async handle(batch: PipelineBatch): Promise<PipelineReply> {
    const controls = batch.controls;
    let next = 0;
    let index = 0;
    for (const { session, frame } of readFrameBatch(batch.frames)) {
      while (next < controls.length && controls[next].beforeFrame <= index) await this.control(controls[next++]);
      const hosted = this.sessions.get(session);
      if (hosted) this.guard(hosted, () => {
        const { outcome, mp3 } = hosted.pipeline.pushFrame(frame);
        if (outcome.kind === "rejected") hosted.report.rejections.push(outcome.reason);
        hosted[outcome.kind]++;
        this.addMp3(hosted, mp3);
      });
      index++;
    }
    while (next < controls.length) await this.control(controls[next++]);
    return this.collect();
  }

  private async control(command: ControlCommand): Promise<void> {
    if (command.op === "open") {
      const pipeline = await RecordingPipeline.create({ cutter: { behavior: command.behavior } }).catch((error: unknown) => error);
      if (!(pipeline instanceof RecordingPipeline)) {
        this.gone.push({ ...emptyReport(command.session), mp3: null, failed: `the MP3 encoder could not start: ${String(pipeline)}` });
        return;
      }
      this.sessions.set(command.session, { session: command.session, pipeline, accepted: 0, dropped: 0, rejected: 0, report: emptyReport(command.session), mp3: [], mp3Bytes: 0 });
      return;
    }
    const hosted = this.sessions.get(command.session);
    if (!hosted) return;
    if (command.op === "discard") {
      this.sessions.delete(command.session);
      this.touched.delete(hosted);
    } else if (command.op === "pause") {
      const { span } = command;
      this.guard(hosted, () => hosted.report.pauses.push({ span, outcome: hosted.pipeline.applyPause(span) }));
    } else {
      this.guard(hosted, () => {
        const { mp3, summary } = hosted.pipeline.finish();
        this.addMp3(hosted, mp3);
        hosted.report.finished = summary;
      });
      this.sessions.delete(command.session);
    }
  }

  private addMp3(hosted: HostedSession, mp3: Uint8Array): void {
    if (mp3.length === 0) return;
    hosted.mp3.push(mp3);
    hosted.mp3Bytes += mp3.length;
  }

  private guard(hosted: HostedSession, work: () => void): void {
    this.touched.add(hosted);
    try {
      work();
    } catch (error) {
      hosted.report.failed = error instanceof Error ? error.message : String(error);
      this.sessions.delete(hosted.session);
    }
  }

  private collect(): PipelineReply {
    const reports = [...this.gone];
    this.gone.length = 0;
    const counts = new Uint32Array(this.touched.size * COUNT_FIELDS);
    let counted = 0;
    for (const hosted of this.touched) {
      if (hosted.accepted + hosted.dropped + hosted.rejected > 0) {
        counts[counted++] = hosted.session;
        counts[counted++] = hosted.accepted;
        counts[counted++] = hosted.dropped;
        counts[counted++] = hosted.rejected;
        hosted.accepted = hosted.dropped = hosted.rejected = 0;
      }
      const { report } = hosted;
      const ended = report.finished !== null || report.failed !== null;
      const shipMp3 = hosted.mp3Bytes > 0 && (ended || hosted.mp3Bytes >= MP3_SHIP_BYTES);
      if (!shipMp3 && !ended && report.rejections.length === 0 && report.pauses.length === 0) continue;
      reports.push({ ...report, mp3: shipMp3 ? concatBytes(hosted.mp3) : null });
      hosted.report = emptyReport(hosted.session);
      if (shipMp3) {
        hosted.mp3 = [];
        hosted.mp3Bytes = 0;
      }
    }
    this.touched = new Set();
    return { counts: counts.slice(0, counted), reports };
  }
}

function emptyReport(session: number): Omit<SessionReport, "mp3"> {
  return { session, rejections: [], pauses: [], finished: null, failed: null };
}
