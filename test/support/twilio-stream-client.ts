import WebSocket from "ws";
import type { MediaFrame } from "../../src/media/media-frame";
import { buildTwilioMediaMessage } from "../../src/media/twilio-media-message";

export interface StreamClose {
  code: number;
  reason: string;
}

/** Plays the telephony gateway: a real WebSocket speaking the Twilio Media Streams message format. */
export class TwilioStreamClient {
  readonly closed: Promise<StreamClose>;
  private sequence = 0;
  readonly streamSid = `MZ${Math.random().toString(16).slice(2, 18)}`;

  private constructor(private readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Resolves once the upgrade succeeded; rejects with the HTTP status when it was refused. */
  static connect(baseUrl: string, headers: Record<string, string>, path = "/media"): Promise<TwilioStreamClient> {
    const url = baseUrl.replace(/^http/, "ws").replace(/\/graphql$/, path);
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once("open", () => resolve(new TwilioStreamClient(socket)));
      socket.once("unexpected-response", (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
      socket.once("error", reject);
    });
  }

  static bearer(token: string): Record<string, string> {
    return { authorization: `Bearer ${token}` };
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  start(customParameters: Record<string, string>, callSid = "CA-test"): void {
    this.send({ event: "connected", protocol: "Call", version: "1.0.0" });
    this.send({
      event: "start",
      sequenceNumber: String(++this.sequence),
      streamSid: this.streamSid,
      start: {
        streamSid: this.streamSid,
        callSid,
        accountSid: "AC-test",
        tracks: ["inbound", "outbound"],
        customParameters,
        mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
      },
    });
  }

  sendFrames(frames: readonly MediaFrame[]): void {
    for (const frame of frames) this.send(buildTwilioMediaMessage(frame, this.streamSid, ++this.sequence));
  }

  stop(): void {
    this.send({ event: "stop", sequenceNumber: String(++this.sequence), streamSid: this.streamSid, stop: { accountSid: "AC-test", callSid: "CA-test" } });
  }

  /** Waits until everything sent so far has left this process. */
  async flushed(): Promise<void> {
    while (this.socket.bufferedAmount > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  terminate(): void {
    this.socket.terminate();
  }
}
