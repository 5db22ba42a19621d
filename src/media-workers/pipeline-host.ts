import { concatBytes } from "../media/bytes";
import { RecordingPipeline } from "../media/recording-pipeline";
import { readFrameBatch } from "./frame-batch";
import type { ControlCommand, PipelineBatch, PipelineReply, SessionReport } from "./pipeline-protocol";

interface HostedSession {
  pipeline: RecordingPipeline;
  report: SessionReport;
  mp3: Uint8Array[];
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
        hosted.report[outcome.kind]++;
        if (mp3.length > 0) hosted.mp3.push(mp3);
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
        this.gone.push({ ...emptyReport(command.session), failed: `the MP3 encoder could not start: ${String(pipeline)}` });
        return;
      }
      this.sessions.set(command.session, { pipeline, report: emptyReport(command.session), mp3: [] });
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
        if (mp3.length > 0) hosted.mp3.push(mp3);
        hosted.report.finished = summary;
      });
      this.sessions.delete(command.session);
    }
  }

  private guard(hosted: HostedSession, work: () => void): void {
    this.touched.add(hosted);
    try {
      work();
    } catch (error) {
      hosted.report.failed = error instanceof Error ? error.message : String(error);
      this.sessions.delete(hosted.report.session);
    }
  }

  private collect(): PipelineReply {
    const reports = [...this.gone];
    this.gone.length = 0;
    for (const hosted of this.touched) {
      reports.push({ ...hosted.report, mp3: hosted.mp3.length > 0 ? concatBytes(hosted.mp3) : null });
      hosted.report = emptyReport(hosted.report.session);
      hosted.mp3 = [];
    }
    this.touched = new Set();
    return { reports };
  }
}

function emptyReport(session: number): SessionReport {
  return { session, accepted: 0, dropped: 0, rejected: 0, rejections: [], pauses: [], mp3: null, finished: null, failed: null };
}
