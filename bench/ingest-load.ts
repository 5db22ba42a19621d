/**
 * The load generator of ingest-server.ts, run as its own process (forked, driven over IPC) so that playing the
 * telephony gateway does not take CPU from the server's event loop. Opens one Twilio Media Streams WebSocket
 * per call and plays every call in real time: both tracks, one 20 ms frame each per 20 ms (one write per call).
 */
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";
import { buildCallCorpus, FRAME_MS } from "./call-corpus";
import { maskedTextFrame } from "./ws-client-frames";

export interface LoadRequest {
  kind: "run";
  mediaUrl: string;
  token: string;
  /** One stream per entry; each starts its own call (customParameters customerId + agentId), on `mediaUrl` when given. */
  streams: { customerId: string; agentId: string; mediaUrl?: string }[];
  seconds: number;
  warmUpMs: number;
}

export type LoadMessage =
  | { kind: "steady-start"; at: number }
  | { kind: "steady-end"; at: number }
  | { kind: "result"; result: LoadResult }
  | { kind: "error"; message: string };

export interface LoadResult {
  framesSent: number;
  /** [wall-clock ms, media messages sent so far], every 100 ms: ingest-server compares it with what the server accepted. */
  sentSamples: [number, number][];
  /** How late this process sent frames (ms past their due time), after warm-up. */
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  /** This process's CPU over the steady window (1.0 = one core). */
  cpuShare: number;
  /** From sending `stop` to the server closing the socket: it drains the backlog and commits the MP3 first. */
  stopToCloseP50Ms: number;
  stopToCloseMaxMs: number;
  closeCodes: Record<string, number>;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

function open(url: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    socket.once("open", () => resolve(socket));
    socket.once("unexpected-response", (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    socket.once("error", reject);
  });
}

async function run(request: LoadRequest, report: (message: LoadMessage) => void): Promise<LoadResult> {
  const corpus = buildCallCorpus(request.seconds);
  const calls = request.streams.length;
  const sockets = await Promise.all(request.streams.map((stream) => open(stream.mediaUrl ?? request.mediaUrl, request.token)));
  const closed = sockets.map((socket) => new Promise<{ code: number; at: number }>((resolve) => socket.once("close", (code) => resolve({ code, at: Date.now() }))));
  sockets.forEach((socket) => socket.on("error", () => undefined));
  sockets.forEach((socket, i) => {
    const streamSid = `MZbench${i}`;
    socket.send(JSON.stringify({ event: "connected", protocol: "Call", version: "1.0.0" }));
    socket.send(
      JSON.stringify({
        event: "start",
        sequenceNumber: "0",
        streamSid,
        start: {
          streamSid,
          callSid: `CAbench${i}`,
          tracks: ["inbound", "outbound"],
          customParameters: { customerId: request.streams[i].customerId, agentId: request.streams[i].agentId },
          mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
        },
      }),
    );
  });
  // Let the server start the calls and open the sessions before the clock starts.
  await sleep(1000);

  // Cheap to play, so that the generator takes as little as possible of the cores it shares with the servers: a
  // tick of a call (its inbound and outbound frames) is one socket write of bytes framed and masked in advance,
  // and one timer drives every call. The bytes are the same Twilio messages; only `ws`'s sender is bypassed.
  const ticks = corpus.messages.map(([inbound, outbound]) => Buffer.concat([maskedTextFrame(inbound), maskedTextFrame(outbound)]));
  const raw = sockets.map((socket) => (socket as unknown as { _socket: Socket })._socket);
  // Calls are staggered across one frame period, as independent calls would be: call i's tick k is due at
  // (k + 1) × FRAME_MS + i × FRAME_MS / calls, so the sends form one sequence in due order.
  const total = calls * corpus.frames;
  const dueAt = (send: number) => FRAME_MS + (send * FRAME_MS) / calls;
  const lags: number[] = [];
  const sentSamples: [number, number][] = [];
  let next = 0;
  let sent = 0;
  let steady = false;
  let cpuAtSteady = process.cpuUsage();
  let steadyStartedAt = 0;
  let cpuShare = 0;
  const start = performance.now();
  let nextSampleAt = 0;
  while (next < total) {
    const elapsed = performance.now() - start;
    if (!steady && elapsed >= request.warmUpMs) {
      steady = true;
      cpuAtSteady = process.cpuUsage();
      steadyStartedAt = performance.now();
      report({ kind: "steady-start", at: Date.now() });
    }
    for (let now = elapsed; next < total && dueAt(next) <= now; now = performance.now() - start) {
      raw[next % calls].write(ticks[Math.floor(next / calls)]);
      sent += 2;
      if (dueAt(next) >= request.warmUpMs) lags.push(now - dueAt(next));
      next++;
    }
    if (elapsed >= nextSampleAt) {
      sentSamples.push([Date.now(), sent]);
      nextSampleAt += 100;
    }
    await sleep(1);
  }
  sentSamples.push([Date.now(), sent]);
  report({ kind: "steady-end", at: Date.now() });
  const cpu = process.cpuUsage(cpuAtSteady);
  cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - steadyStartedAt);

  const stoppedAt = Date.now();
  sockets.forEach((socket, i) => socket.send(JSON.stringify({ event: "stop", sequenceNumber: String(corpus.frames * 2 + 1), streamSid: `MZbench${i}` })));
  const closes = await Promise.all(closed);
  const stopToClose = closes.map((close) => close.at - stoppedAt).sort((a, b) => a - b);
  const closeCodes: Record<string, number> = {};
  for (const close of closes) closeCodes[close.code] = (closeCodes[close.code] ?? 0) + 1;
  lags.sort((a, b) => a - b);
  return {
    framesSent: sent,
    sentSamples,
    sendLagP99Ms: percentile(lags, 0.99),
    sendLagMaxMs: lags[lags.length - 1] ?? 0,
    cpuShare,
    stopToCloseP50Ms: percentile(stopToClose, 0.5),
    stopToCloseMaxMs: stopToClose[stopToClose.length - 1] ?? 0,
    closeCodes,
  };
}

if (require.main === module) {
  const report = (message: LoadMessage) => process.send?.(message);
  process.once("message", (request: LoadRequest) => {
    run(request, report)
      .then((result) => report({ kind: "result", result }))
      .catch((error: unknown) => report({ kind: "error", message: String((error as Error)?.stack ?? error) }))
      .finally(() => process.disconnect?.());
  });
}
