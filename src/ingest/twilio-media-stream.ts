import { randomUUID } from "node:crypto";
import type WebSocket from "ws";
import type { CallService } from "../calls/call.service";
import { DomainError } from "../common/errors";
import { isUuid } from "../common/ids";
import type { IngestLimits } from "../config/config";
import { MediaMessageParseResult, parseTwilioMediaMessage } from "../media/twilio-media-message";
import { readTwilioMediaMessage } from "../media/twilio-media-reader";
import { AlreadyIngestingError } from "../recording-media/recording-media.service";
import type { RecordingQueryService } from "../recordings/recording-query.service";
import { isLive } from "../recordings/recording-state";
import type { IngestPrincipal } from "./ingest-auth";
import type { LiveMediaSession } from "./live-media-session";
import type { MediaSessionRegistry } from "./media-session-registry";
import type { MediaStreamAdmission } from "./media-stream-admission";

/**
 * WebSocket close codes: 1001 going away, 1003 unsupported data, 1007 invalid payload, 1008 policy violation,
 * 1011 server error, 1013 try again later (this socket sends faster than it can be processed).
 */
export const MEDIA_CLOSE = { normal: 1000, goingAway: 1001, unsupported: 1003, invalid: 1007, policy: 1008, internal: 1011, overloaded: 1013 } as const;
const MAX_BAD_MESSAGES = 50;
const MAX_ID_LENGTH = 64;
/** Reading pauses at this many unprocessed messages (about 5 s of a call's two tracks) and resumes at half. */
const MAX_QUEUED_MESSAGES = 500;
/** A socket whose queue stays full this long is closed: it sends faster than its audio can be processed. */
const QUEUE_STALL_MS = 5000;
/**
 * Pausing stops reading from the socket, but what was already read still arrives: past this many bytes
 * waiting (thousands of a real call's messages) the socket is closed at once.
 */
const MAX_QUEUED_BYTES = 1024 * 1024;
/** CPU a socket may spend on messages that turn out invalid before it is closed. */
const INVALID_CPU_BUDGET_MS = 100;
/** Processing time after which a socket yields to the event loop, so one busy socket cannot starve the others. */
const SLICE_MS = 10;
/** A peer that does not answer our close frame is cut off after this. */
const CLOSE_HANDSHAKE_MS = 2000;
/** A refused or abusive socket gets this long to read our close frame, unread, before it is cut off. */
const ABUSE_CUTOFF_MS = 250;

export type FrameVerdict = "accepted" | "dropped" | "rejected" | "refused";

/** What the stream reports, for metrics and logs; none of it changes what the stream does. */
export interface MediaStreamObserver {
  frame(verdict: FrameVerdict, count?: number): void;
  closed(code: number, reason: string): void;
}

export interface TwilioStreamDependencies {
  registry: MediaSessionRegistry;
  calls: CallService;
  recordings: RecordingQueryService;
  admission: MediaStreamAdmission;
  limits: Pick<IngestLimits, "maxCallMs" | "clockToleranceMs">;
  log: (message: string, error?: unknown) => void;
  observer?: MediaStreamObserver;
}

interface StartMessage {
  streamSid?: unknown;
  start?: {
    callSid?: unknown;
    customParameters?: Record<string, unknown>;
    mediaFormat?: { encoding?: unknown; sampleRate?: unknown; channels?: unknown };
  };
}

interface Received {
  data: Buffer;
  isBinary: boolean;
  receivedAt: number;
}

/**
 * One Twilio Media Streams connection: `connected`, `start` (which names the call through custom parameters:
 * an existing callId, or customerId + agentId to start one), `media` frames, `stop`. Malformed input is
 * counted and dropped, never thrown; a stream that dies keeps what was recorded.
 *
 * Abuse stays local to the socket: a bounded queue (reading pauses when it is full, the socket is closed when
 * it stays full), a CPU budget for invalid input, frames bound to the wall clock since `start`, a maximum
 * call length, and no work at all once the socket is closing.
 */
export class TwilioMediaStream {
  private session: LiveMediaSession | undefined;
  private ownedCallId: string | undefined;
  private readonly pending: Received[] = [];
  private pendingBytes = 0;
  private pumping: Promise<void> | undefined;
  private paused = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private callTimer: NodeJS.Timeout | undefined;
  private badMessages = 0;
  private invalidCpuMs = 0;
  private startedAt: number | undefined;
  /** Set once the socket is refused, closing or shutting down: nothing more is read or processed. */
  private closing = false;
  /**
   * Set when this side refuses, ends or shuts the stream down: no new session opens. A peer that merely went
   * away is different: the start and audio it sent before it went are the call's, and are still recorded.
   */
  private stopped = false;
  private ending: Promise<void> | undefined;
  private release: () => void = () => undefined;
  private readonly requestId = randomUUID();

  constructor(
    private readonly socket: WebSocket,
    private readonly principal: IngestPrincipal,
    private readonly deps: TwilioStreamDependencies,
  ) {
    socket.on("error", () => undefined);
    socket.on("close", (code: number, reason: Buffer) => {
      // What a dying peer sent before it went is audio of the call: it is still processed (a bounded queue).
      this.closing = true;
      clearTimeout(this.stallTimer);
      clearTimeout(this.callTimer);
      deps.observer?.closed(code, reason.toString());
      // After the message being processed (a `start` may be opening the session): then nothing is left open.
      void Promise.resolve(this.pumping)
        .then(() => this.end())
        .catch((error) => deps.log(`media stream cleanup failed (request ${this.requestId})`, error))
        .finally(() => this.release());
    });
    const admission = deps.admission.admit(principal, this);
    if (!admission.admitted) {
      this.close(admission.code, admission.reason);
      return;
    }
    this.release = admission.release;
    socket.on("message", (data: Buffer, isBinary: boolean) => this.receive({ data, isBinary, receivedAt: Date.now() }));
  }

  /** Shutdown: stop reading, finish what was received, commit the audio, then close with 1001. */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.stopped = true;
    this.resume();
    await this.pumping;
    await this.end();
    this.close(MEDIA_CLOSE.goingAway, "server shutting down", true);
  }

  private receive(message: Received): void {
    if (this.closing) return;
    // Nearly always nothing is queued and the message is a frame: it is handled right here, without the
    // promises of the queue (a few per message, at ~100 messages a second per call).
    if (this.pending.length === 0 && !this.pumping && !this.ending && this.mediaNow(message)) return;
    this.pending.push(message);
    this.pendingBytes += message.data.length;
    if (this.pendingBytes > MAX_QUEUED_BYTES) return this.close(MEDIA_CLOSE.overloaded, `more than ${MAX_QUEUED_BYTES} bytes waiting to be processed`);
    if (this.pending.length >= MAX_QUEUED_MESSAGES && !this.paused) {
      this.paused = true;
      this.socket.pause();
      this.stallTimer = setTimeout(() => this.close(MEDIA_CLOSE.overloaded, `more than ${MAX_QUEUED_MESSAGES} messages waiting for ${QUEUE_STALL_MS} ms`), QUEUE_STALL_MS);
    }
    this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    clearTimeout(this.stallTimer);
    this.socket.resume();
  }

  private async pump(): Promise<void> {
    try {
      let sliceStart = performance.now();
      while (this.pending.length > 0 && !this.ending) {
        const message = this.pending.shift() as Received;
        this.pendingBytes -= message.data.length;
        await this.onMessage(message);
        if (this.paused && this.pending.length <= MAX_QUEUED_MESSAGES / 2 && !this.closing) this.resume();
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
    } catch (error) {
      await this.fail(error);
    }
  }

  /** Handles a media frame synchronously; false, with nothing done, for any other message. */
  private mediaNow({ data, isBinary, receivedAt }: Received): boolean {
    if (isBinary) return false;
    const began = performance.now();
    const media = readTwilioMediaMessage(data);
    if (!media) return false;
    try {
      this.onMedia(media, receivedAt, began);
    } catch (error) {
      void this.fail(error);
    }
    return true;
  }

  private async onMessage({ data, isBinary, receivedAt }: Received): Promise<void> {
    if (this.ending) return;
    const began = performance.now();
    // Nearly every message is a media frame: those are read from the bytes without a full JSON.parse.
    const media = isBinary ? undefined : readTwilioMediaMessage(data);
    if (media) return this.onMedia(media, receivedAt, began);
    let message: { event?: unknown };
    try {
      if (isBinary) throw new Error("binary frame");
      message = JSON.parse(data.toString("utf8"));
    } catch {
      return this.bad("malformed message", began);
    }
    switch (message?.event) {
      case "connected":
      case "mark":
      case "dtmf":
        return;
      case "start":
        return this.onStart(message as StartMessage, receivedAt, began);
      case "media":
        return this.onMedia(parseTwilioMediaMessage(message), receivedAt, began);
      case "stop":
        await this.end();
        this.close(MEDIA_CLOSE.normal, "stream stopped");
        return;
      default:
        return this.bad("unknown event", began);
    }
  }

  /** Stream time 0 is when `start` arrived: pauses (wall-clock) are placed on the stream relative to it. */
  private async onStart(message: StartMessage, receivedAt: number, began: number): Promise<void> {
    if (this.session) return this.bad("second start", began);
    const format = message.start?.mediaFormat;
    if (format && (format.encoding !== "audio/x-mulaw" || Number(format.sampleRate) !== 8000 || Number(format.channels ?? 1) !== 1)) {
      return this.close(MEDIA_CLOSE.unsupported, "only 8 kHz mono audio/x-mulaw is supported");
    }
    const params = message.start?.customParameters ?? {};
    const recordingId = await this.resolveRecording(params, message.start?.callSid);
    if (!recordingId || this.stopped) return;
    try {
      this.session = await this.deps.registry.open(recordingId, new Date(receivedAt));
      // The pipeline runs on a worker thread: its verdicts on frames, and its failure, arrive later.
      this.session.observe({
        frameRejected: (reason) => {
          this.deps.observer?.frame("rejected");
          this.bad(reason, performance.now());
        },
        framesCounted: ({ accepted, dropped }) => {
          if (accepted > 0) this.deps.observer?.frame("accepted", accepted);
          if (dropped > 0) this.deps.observer?.frame("dropped", dropped);
        },
        failed: (error) => void this.fail(error),
      });
    } catch (error) {
      if (error instanceof AlreadyIngestingError) return this.close(MEDIA_CLOSE.policy, "this call's audio is already being recorded");
      throw error;
    }
    this.startedAt = receivedAt;
    const left = Math.max(0, receivedAt + this.deps.limits.maxCallMs - Date.now());
    this.callTimer = setTimeout(() => void this.endAtMaximumLength(), left);
    this.callTimer.unref();
  }

  private async resolveRecording(params: Record<string, unknown>, callSid: unknown): Promise<string | undefined> {
    const { callId, customerId, agentId } = params;
    if (typeof callId === "string" && callId.length <= MAX_ID_LENGTH) {
      const recording = isUuid(callId) ? await this.deps.recordings.findByCall(callId) : null;
      if (!recording || !isLive(recording.state)) {
        this.close(MEDIA_CLOSE.policy, "callId does not name a live call");
        return undefined;
      }
      return recording.id;
    }
    if (typeof customerId === "string" && typeof agentId === "string" && customerId.length <= MAX_ID_LENGTH && agentId.length <= 254) {
      try {
        const externalRef = typeof callSid === "string" ? callSid.slice(0, 64) : undefined;
        const { call, recording } = await this.deps.calls.start(this.principal.viewer, this.requestId, { customerId, agentRef: agentId, externalRef });
        this.ownedCallId = call.id;
        return recording.id;
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        this.close(MEDIA_CLOSE.policy, `the call could not be started: ${error.code}`);
        return undefined;
      }
    }
    this.close(MEDIA_CLOSE.policy, "start.customParameters must name a callId, or a customerId and an agentId");
    return undefined;
  }

  private onMedia(parsed: MediaMessageParseResult, receivedAt: number, began: number): void {
    if (!this.session || this.startedAt === undefined) return this.bad("media before start", began);
    if (!parsed.ok) {
      this.deps.observer?.frame("rejected");
      return this.bad(parsed.reason, began);
    }
    // Audio cannot be ahead of the call it records: a frame stamped past the wall clock (plus jitter) is refused,
    // so neither its timestamp nor the gap it would open can make the recording longer than the call.
    const elapsedMs = receivedAt - this.startedAt;
    if (parsed.frame.timestampMs > elapsedMs + this.deps.limits.clockToleranceMs) {
      this.deps.observer?.frame("refused");
      return this.bad("frame ahead of the clock", began);
    }
    if (parsed.frame.timestampMs >= this.deps.limits.maxCallMs) {
      this.deps.observer?.frame("refused");
      return void this.endAtMaximumLength();
    }
    // The pipeline judges the frame on its worker: accepted and dropped frames are counted when it reports.
    const outcome = this.session.pushFrame(parsed.frame);
    if (outcome.kind === "rejected") {
      this.deps.observer?.frame("rejected");
      this.bad(outcome.reason, began);
    }
  }

  private async endAtMaximumLength(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stopped = true;
    this.dropPending();
    await this.pumping;
    await this.end();
    this.close(MEDIA_CLOSE.policy, `maximum call length of ${Math.round(this.deps.limits.maxCallMs / 1000)} s reached`, true);
  }

  /** Stop, a closed socket or an error: keep what was recorded; a call this stream started ends with it. */
  private end(): Promise<void> {
    this.ending ??= (async () => {
      clearTimeout(this.callTimer);
      if (this.session) await this.deps.registry.close(this.session);
      if (this.ownedCallId) await this.deps.calls.end(this.principal.viewer, this.requestId, this.ownedCallId);
    })();
    return this.ending;
  }

  /** Counts an invalid message and the CPU it cost; past either budget the socket is closed. */
  private bad(reason: string, began: number): void {
    this.invalidCpuMs += performance.now() - began;
    if (++this.badMessages > MAX_BAD_MESSAGES) this.close(MEDIA_CLOSE.invalid, `too many invalid messages (last: ${reason})`);
    else if (this.invalidCpuMs > INVALID_CPU_BUDGET_MS) this.close(MEDIA_CLOSE.invalid, `invalid input used up its processing budget (last: ${reason})`);
  }

  /**
   * Closes the socket and drops whatever it still sent; the recorded audio is kept (see end()). A normal end
   * waits for the peer's close frame; a refused or abusive socket is not read any further and is cut off soon.
   */
  private close(code: number, reason: string, keepPending = false): void {
    this.closing = true;
    this.stopped = true;
    if (!keepPending) this.dropPending();
    if (this.socket.readyState !== this.socket.OPEN) return;
    const graceful = code === MEDIA_CLOSE.normal || code === MEDIA_CLOSE.goingAway || code === MEDIA_CLOSE.unsupported;
    if (graceful) this.resume();
    else {
      clearTimeout(this.stallTimer);
      this.paused = true;
      this.socket.pause();
    }
    this.socket.close(code, reason);
    setTimeout(() => this.socket.terminate(), graceful ? CLOSE_HANDSHAKE_MS : ABUSE_CUTOFF_MS).unref();
  }

  private dropPending(): void {
    this.pending.length = 0;
    this.pendingBytes = 0;
  }

  private async fail(error: unknown): Promise<void> {
    this.deps.log(`media stream failed (request ${this.requestId})`, error);
    this.close(MEDIA_CLOSE.internal, "internal error");
    await this.end().catch(() => undefined);
  }
}
