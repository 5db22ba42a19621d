import { randomUUID } from "node:crypto";
import type WebSocket from "ws";
import type { CallService } from "../calls/call.service";
import { DomainError } from "../common/errors";
import { isUuid } from "../common/ids";
import { MediaMessageParseResult, parseTwilioMediaMessage } from "../media/twilio-media-message";
import { readTwilioMediaMessage } from "../media/twilio-media-reader";
import { AlreadyIngestingError } from "../recording-media/recording-media.service";
import type { RecordingQueryService } from "../recordings/recording-query.service";
import { isLive } from "../recordings/recording-state";
import type { IngestPrincipal } from "./ingest-auth";
import type { LiveMediaSession } from "./live-media-session";
import type { MediaSessionRegistry } from "./media-session-registry";

/** WebSocket close codes: 1003 unsupported data, 1007 invalid payload, 1008 policy violation, 1011 server error. */
const CLOSE = { normal: 1000, unsupported: 1003, invalid: 1007, policy: 1008, internal: 1011 } as const;
const MAX_BAD_MESSAGES = 50;
const MAX_ID_LENGTH = 64;

export interface TwilioStreamDependencies {
  registry: MediaSessionRegistry;
  calls: CallService;
  recordings: RecordingQueryService;
  log: (message: string, error?: unknown) => void;
}

interface StartMessage {
  streamSid?: unknown;
  start?: {
    callSid?: unknown;
    customParameters?: Record<string, unknown>;
    mediaFormat?: { encoding?: unknown; sampleRate?: unknown; channels?: unknown };
  };
}

/**
 * One Twilio Media Streams connection: `connected`, `start` (which names the call through custom parameters:
 * an existing callId, or customerId + agentId to start one), `media` frames, `stop`. Malformed input is
 * counted and dropped, never thrown; a stream that dies keeps what was recorded.
 */
export class TwilioMediaStream {
  private session: LiveMediaSession | undefined;
  private ownedCallId: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private badMessages = 0;
  private ended = false;
  private readonly requestId = randomUUID();

  constructor(
    private readonly socket: WebSocket,
    private readonly principal: IngestPrincipal,
    private readonly deps: TwilioStreamDependencies,
  ) {
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      // Stamped on arrival, not when the queue gets to it: `start` anchors the stream's clock.
      const receivedAt = new Date();
      this.queue = this.queue.then(() => this.onMessage(data, isBinary, receivedAt)).catch((error) => this.fail(error));
    });
    socket.on("close", () => {
      this.queue = this.queue.then(() => this.end()).catch((error) => deps.log(`media stream cleanup failed (request ${this.requestId})`, error));
    });
    socket.on("error", () => undefined);
  }

  private async onMessage(data: Buffer, isBinary: boolean, receivedAt: Date): Promise<void> {
    if (this.ended) return;
    // Nearly every message is a media frame: those are read from the bytes without a full JSON.parse.
    const media = isBinary ? undefined : readTwilioMediaMessage(data);
    if (media) return this.onMedia(media);
    let message: { event?: unknown };
    try {
      if (isBinary) throw new Error("binary frame");
      message = JSON.parse(data.toString("utf8"));
    } catch {
      return this.bad("malformed message");
    }
    switch (message?.event) {
      case "connected":
      case "mark":
      case "dtmf":
        return;
      case "start":
        return this.onStart(message as StartMessage, receivedAt);
      case "media":
        return this.onMedia(parseTwilioMediaMessage(message));
      case "stop":
        await this.end();
        this.socket.close(CLOSE.normal, "stream stopped");
        return;
      default:
        return this.bad("unknown event");
    }
  }

  /** Stream time 0 is when `start` arrived: pauses (wall-clock) are placed on the stream relative to it. */
  private async onStart(message: StartMessage, receivedAt: Date): Promise<void> {
    if (this.session) return this.bad("second start");
    const format = message.start?.mediaFormat;
    if (format && (format.encoding !== "audio/x-mulaw" || Number(format.sampleRate) !== 8000 || Number(format.channels ?? 1) !== 1)) {
      return this.close(CLOSE.unsupported, "only 8 kHz mono audio/x-mulaw is supported");
    }
    const params = message.start?.customParameters ?? {};
    const recordingId = await this.resolveRecording(params, message.start?.callSid);
    if (!recordingId) return;
    try {
      this.session = await this.deps.registry.open(recordingId, receivedAt);
      // The pipeline runs on a worker thread: its verdicts on frames, and its failure, arrive later.
      this.session.observe({ frameRejected: (reason) => this.bad(reason), failed: (error) => void (this.queue = this.queue.then(() => this.fail(error))) });
    } catch (error) {
      if (error instanceof AlreadyIngestingError) return this.close(CLOSE.policy, "this call's audio is already being recorded");
      throw error;
    }
  }

  private async resolveRecording(params: Record<string, unknown>, callSid: unknown): Promise<string | undefined> {
    const { callId, customerId, agentId } = params;
    if (typeof callId === "string" && callId.length <= MAX_ID_LENGTH) {
      const recording = isUuid(callId) ? await this.deps.recordings.findByCall(callId) : null;
      if (!recording || !isLive(recording.state)) {
        this.close(CLOSE.policy, "callId does not name a live call");
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
        this.close(CLOSE.policy, `the call could not be started: ${error.code}`);
        return undefined;
      }
    }
    this.close(CLOSE.policy, "start.customParameters must name a callId, or a customerId and an agentId");
    return undefined;
  }

  private onMedia(parsed: MediaMessageParseResult): void {
    if (!this.session) return this.bad("media before start");
    if (!parsed.ok) return this.bad(parsed.reason);
    const outcome = this.session.pushFrame(parsed.frame);
    if (outcome.kind === "rejected") this.bad(outcome.reason);
  }

  /** Stop, a closed socket or an error: keep what was recorded; a call this stream started ends with it. */
  private async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (this.session) await this.deps.registry.close(this.session);
    if (this.ownedCallId) await this.deps.calls.end(this.principal.viewer, this.requestId, this.ownedCallId);
  }

  private bad(reason: string): void {
    if (++this.badMessages > MAX_BAD_MESSAGES) this.close(CLOSE.invalid, `too many invalid messages (last: ${reason})`);
  }

  private close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(code, reason);
  }

  private async fail(error: unknown): Promise<void> {
    this.deps.log(`media stream failed (request ${this.requestId})`, error);
    this.close(CLOSE.internal, "internal error");
    await this.end().catch(() => undefined);
  }
}
