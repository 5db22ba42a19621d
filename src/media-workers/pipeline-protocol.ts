import type { Mp3EncoderKind, Mp3Summary } from "../media/mp3-encoder";
import type { PauseBehavior, PauseOutcome, PauseSpan } from "../media/pause-cutter";
import type { FrameOutcome } from "../media/track-mixer";

/** A session's commands other than frames; `beforeFrame` orders it among the batch's frames. */
export type ControlCommand = { session: number; beforeFrame: number } & (
  | { op: "open"; behavior: PauseBehavior }
  | { op: "pause"; span: PauseSpan }
  | { op: "finish" }
  /** The main thread gave up on the session (its stream failed): free it without encoding the rest. */
  | { op: "discard" }
);

/** What the main thread posts to a worker: every frame and command queued since the last batch. */
export interface PipelineBatch {
  /** Frames packed by FrameBatchWriter. */
  frames: Uint8Array;
  controls: ControlCommand[];
}

export type FrameRejection = Extract<FrameOutcome, { kind: "rejected" }>["reason"];

/**
 * One session's results from one batch beyond its frame counts, in the order they happened. Most batches have
 * none for most sessions: a session is reported here only when it has rejections, pause outcomes, MP3 bytes to
 * store, or has finished or failed.
 */
export interface SessionReport {
  session: number;
  rejections: FrameRejection[];
  pauses: { span: PauseSpan; outcome: PauseOutcome }[];
  /** MP3 bytes completed since the session's last report (gathered on the worker), to be appended to storage in report order. */
  mp3: Uint8Array | null;
  /** Set once the session's `finish` ran: the MP3 is complete. */
  finished: Mp3Summary | null;
  /** The session's pipeline threw: it is gone from the worker, and nothing more will come for it. */
  failed: string | null;
}

/** Numbers per entry of PipelineReply.counts: session, accepted, dropped, rejected. */
export const COUNT_FIELDS = 4;

export interface PipelineReply {
  /**
   * Frame verdicts of the batch, COUNT_FIELDS numbers per session that had frames in it: a flat typed array,
   * because every live call has some in every batch and an object per call per batch is what the main thread
   * would pay to receive.
   */
  counts: Uint32Array;
  /** Applied after `counts`. */
  reports: SessionReport[];
}

/** workerData of a pipeline worker. */
export interface PipelineWorkerData {
  /** Source runs (tests) load the TypeScript entry through a transpiling loader; builds run the compiled .js. */
  entry?: string;
  /** Fault injection for the crash tests: the worker dies (uncaught exception) when it is handed a pause. */
  crashOnPause: boolean;
  /**
   * How many nice levels below the event loop the worker runs (Linux; MEDIA_WORKER_NICENESS). When the cores are
   * short the kernel then serves the event loop first: it answers sockets and requests and must stay prompt,
   * while a call's audio waits in the pipeline's hold-back anyway (hundreds of ms). The price is that other
   * processes on the machine at the normal priority also come first: the default is 0, which on the 2-core
   * bench held 425 calls on one instance where 5 held 275–325.
   */
  niceness: number;
  /** The LAME build this worker encodes with: the one the main thread chose (MP3_ENCODER). */
  mp3Encoder: Mp3EncoderKind;
}
