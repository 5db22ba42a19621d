/**
 * Ingest capacity through the real server: the whole app (HTTP, /media WebSocket, TwilioMediaStream, sessions,
 * MP3 encoding, encryption, filesystem store, SQLite) runs in this process, and a forked load generator
 * (ingest-load.ts) plays N concurrent real-time Twilio streams against it from its own process. N grows until
 * the server stops keeping up. Build and run (from the repository root; the build copies the worker scripts):
 *   npm run build && npx tsc -p bench/tsconfig.json && node dist/bench/ingest-server.js [trialSeconds=15] [budgetMinutes=4.5] [calls,calls…]
 * (a list of call counts runs just those trials instead of ramping)
 */
import "reflect-metadata";
import { ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { App, createApp } from "../src/app";
import { Role } from "../src/auth/role";
import type { Viewer } from "../src/auth/viewer";
import { loadConfig } from "../src/config/config";
import type { LiveMediaSession } from "../src/ingest/live-media-session";
import { RecordingState } from "../src/recordings/recording-state";
import type { LoadMessage, LoadRequest, LoadResult } from "./ingest-load";

const WARM_UP_MS = 3000;
/** The histogram records the time between its timer's ticks, so an idle loop reads as the resolution itself. */
const LOOP_RESOLUTION_MS = 10;
const loopDelayMs = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - LOOP_RESOLUTION_MS);
/** Keeping up: no frame lost, event-loop stalls well inside the mixer's 200 ms hold-back, no growing backlog. */
const ACCEPTABLE_LOOP_DELAY_P99_MS = 100;
const ACCEPTABLE_BACKLOG_GROWTH_MS = 20;
/** Above this the load generator itself was late, and the trial says nothing about the server. */
const ACCEPTABLE_CLIENT_LAG_P99_MS = 50;

interface TrialResult {
  calls: number;
  sent: number;
  accepted: number;
  dropped: number;
  rejected: number;
  recordingsAvailable: number;
  serverCpu: number;
  clientCpu: number;
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Audio sent but not yet accepted, in ms per call: mean over the first and the last third of the steady window. */
  backlogEarlyMs: number;
  backlogLateMs: number;
  client: LoadResult;
  rssMb: number;
  /** Event-loop stalls over 100 ms: seconds into the call audio (the clock starts after warm-up is subtracted) and length. */
  stalls: { atS: number; ms: number }[];
  verdict: "keeps up" | "FALLS BEHIND" | "client-bound";
}

/** Everything the bench needs from the running app: tokens, agents, and the sessions it opened (for their counters). */
class Harness {
  readonly sessions: LiveMediaSession[] = [];
  private readonly agentIds: string[] = [];

  private constructor(
    readonly app: App,
    readonly token: string,
    private readonly gateway: Viewer,
    readonly customerId: string,
  ) {
    // Keep every session this server opens, so its frame counters can be read after the stream closed.
    const registry = app.services.sessions;
    const open = registry.open.bind(registry);
    registry.open = async (recordingId) => {
      const session = await open(recordingId);
      this.sessions.push(session);
      return session;
    };
  }

  static async start(dataDir: string): Promise<Harness> {
    const config = loadConfig({
      NODE_ENV: "development",
      PORT: "0",
      DATA_DIR: dataDir,
      JWT_SECRET: randomBytes(32).toString("hex"),
      SEED_DEMO: "false",
      // One gateway user opens every call of the capacity search: the per-user quota must not be what it measures.
      MEDIA_MAX_STREAMS: "10000",
      MEDIA_MAX_STREAMS_PER_USER: "10000",
    });
    const errors: string[] = [];
    const app = await createApp(config, { host: "127.0.0.1", log: (message, error) => errors.push(`${message} ${error ?? ""}`) });
    const services = app.services;
    const gatewayUser = await services.users.create(undefined, "bench", { email: "gateway@bench.test", displayName: "Bench gateway", roles: [Role.API_USER] });
    const gateway = (await services.users.loadViewer(gatewayUser.id)) as Viewer;
    const customer = await services.customers.create(gateway, "bench", "Bench customer");
    return new Harness(app, await services.tokens.mint(gatewayUser.id), gateway, customer.id);
  }

  get mediaUrl(): string {
    return this.app.server.url.replace("localhost", "127.0.0.1").replace(/^http/, "ws").replace(/\/graphql$/, "/media");
  }

  /** An agent has one live call at a time, so each concurrent call gets its own. */
  async agents(count: number): Promise<string[]> {
    while (this.agentIds.length < count) {
      const n = this.agentIds.length;
      const user = await this.app.services.users.create(undefined, "bench", { email: `agent-${n}@bench.test`, displayName: `Agent ${n}`, roles: [Role.AGENT] });
      this.agentIds.push(user.id);
    }
    return this.agentIds.slice(0, count);
  }

  accepted(): number {
    return this.sessions.reduce((sum, session) => sum + session.counters.accepted, 0);
  }
}

async function runTrial(harness: Harness, calls: number, seconds: number): Promise<TrialResult> {
  const agentIds = await harness.agents(calls);
  harness.sessions.length = 0;
  const request: LoadRequest = {
    kind: "run",
    mediaUrl: harness.mediaUrl,
    token: harness.token,
    streams: agentIds.map((agentId) => ({ customerId: harness.customerId, agentId })),
    seconds,
    warmUpMs: WARM_UP_MS,
  };
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const acceptedSamples: [number, number][] = [];
  let sampler: NodeJS.Timeout | undefined;
  const stalls: { atS: number; ms: number }[] = [];
  let stallWatch: NodeJS.Timeout | undefined;
  let steadyStart = 0;
  let steadyEnd = 0;
  let cpuAtStart = process.cpuUsage();
  let serverCpu = 0;
  const child: ChildProcess = fork(path.join(__dirname, "ingest-load.js"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const client = await new Promise<LoadResult>((resolve, reject) => {
    child.on("message", (message: LoadMessage) => {
      if (message.kind === "steady-start") {
        steadyStart = message.at;
        cpuAtStart = process.cpuUsage();
        loop.enable();
        loop.reset();
        sampler = setInterval(() => acceptedSamples.push([Date.now(), harness.accepted()]), 100);
        let last = performance.now();
        stallWatch = setInterval(() => {
          const now = performance.now();
          if (now - last > 100 + 20) stalls.push({ atS: (Date.now() - steadyStart + WARM_UP_MS) / 1000, ms: Math.round(now - last - 20) });
          last = now;
        }, 20);
      } else if (message.kind === "steady-end") {
        steadyEnd = message.at;
        loop.disable();
        clearInterval(sampler);
        clearInterval(stallWatch);
        const cpu = process.cpuUsage(cpuAtStart);
        serverCpu = (cpu.user + cpu.system) / 1000 / Math.max(1, steadyEnd - steadyStart);
      } else if (message.kind === "result") resolve(message.result);
      else reject(new Error(message.message));
    });
    child.once("exit", (code) => reject(new Error(`the load generator exited with ${code}`)));
    child.send(request);
  });
  clearInterval(sampler);
  clearInterval(stallWatch);

  const sessions = harness.sessions;
  const sum = (key: "accepted" | "dropped" | "rejected") => sessions.reduce((total, session) => total + session.counters[key], 0);
  let recordingsAvailable = 0;
  for (const session of sessions) {
    if ((await harness.app.services.recordings.find(session.recordingId))?.state === RecordingState.AVAILABLE) recordingsAvailable++;
  }

  // Backlog: media messages the client had sent by then minus frames the server had accepted, as ms of audio per call.
  const sentAt = (at: number) => {
    const samples = client.sentSamples;
    const after = samples.findIndex(([time]) => time > at);
    if (after <= 0) return after === 0 ? 0 : samples[samples.length - 1][1];
    const [t0, s0] = samples[after - 1];
    const [t1, s1] = samples[after];
    return s0 + ((s1 - s0) * (at - t0)) / Math.max(1, t1 - t0);
  };
  const backlogMs = acceptedSamples.map(([at, accepted]) => ({ at, ms: ((sentAt(at) - accepted) / (2 * calls)) * 20 }));
  const window = steadyEnd - steadyStart;
  const meanBacklog = (from: number, to: number) => {
    const values = backlogMs.filter((b) => b.at >= steadyStart + from * window && b.at < steadyStart + to * window).map((b) => b.ms);
    return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
  };
  const result = {
    calls,
    sent: client.framesSent,
    accepted: sum("accepted"),
    dropped: sum("dropped"),
    rejected: sum("rejected"),
    recordingsAvailable,
    serverCpu,
    clientCpu: client.cpuShare,
    loopDelayP50Ms: loopDelayMs(loop.percentile(50)),
    loopDelayP99Ms: loopDelayMs(loop.percentile(99)),
    loopDelayMaxMs: loopDelayMs(loop.max),
    backlogEarlyMs: meanBacklog(0, 1 / 3),
    backlogLateMs: meanBacklog(2 / 3, 1),
    client,
    rssMb: process.memoryUsage().rss / 1e6,
    stalls,
  };
  const lossless = result.dropped === 0 && result.rejected === 0 && result.accepted === result.sent && recordingsAvailable === calls;
  const serverKeptUp =
    lossless && result.loopDelayP99Ms <= ACCEPTABLE_LOOP_DELAY_P99_MS && result.backlogLateMs - result.backlogEarlyMs <= ACCEPTABLE_BACKLOG_GROWTH_MS;
  const verdict = serverKeptUp ? "keeps up" : lossless && client.sendLagP99Ms > ACCEPTABLE_CLIENT_LAG_P99_MS ? "client-bound" : "FALLS BEHIND";
  return { ...result, verdict };
}

function format(r: TrialResult): string {
  const pct = (share: number) => `${(share * 100).toFixed(0).padStart(3)}%`;
  return (
    `  ${String(r.calls).padStart(4)} calls  frames sent ${String(r.sent).padStart(7)} accepted ${String(r.accepted).padStart(7)} dropped ${r.dropped} rejected ${r.rejected}` +
    `  AVAILABLE ${r.recordingsAvailable}/${r.calls}\n` +
    `             server cpu ${pct(r.serverCpu)}  loop delay p50 ${r.loopDelayP50Ms.toFixed(1)} p99 ${r.loopDelayP99Ms.toFixed(1)} max ${r.loopDelayMaxMs.toFixed(1)} ms` +
    `  backlog ${r.backlogEarlyMs.toFixed(1)} → ${r.backlogLateMs.toFixed(1)} ms/call  stop→close p50 ${r.client.stopToCloseP50Ms} max ${r.client.stopToCloseMaxMs} ms  rss ${r.rssMb.toFixed(0)} MB\n` +
    `             client cpu ${pct(r.clientCpu)}  send lag p99 ${r.client.sendLagP99Ms.toFixed(1)} max ${r.client.sendLagMaxMs.toFixed(1)} ms  closes ${JSON.stringify(r.client.closeCodes)}` +
    `  load ${os.loadavg()[0].toFixed(1)}  → ${r.verdict}` +
    (r.stalls.length > 0 ? `\n             loop stalls > 100 ms (s into the call: ms) ${r.stalls.map((s) => `${s.atS.toFixed(1)}: ${s.ms}`).join(", ")}` : "")
  );
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 15);
  const budgetMs = Number(process.argv[3] ?? 4.5) * 60_000;
  const fixedCounts = process.argv[4]?.split(",").map(Number);
  const began = Date.now();
  console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`Real server (SQLite, filesystem store) in this process, real-time Twilio streams from a forked process; ${seconds} s trials.`);
  console.log(`Keeps up = every frame accepted, every recording AVAILABLE, loop delay p99 ≤ ${ACCEPTABLE_LOOP_DELAY_P99_MS} ms, backlog growth ≤ ${ACCEPTABLE_BACKLOG_GROWTH_MS} ms.\n`);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "callvault-ingest-bench-"));
  const harness = await Harness.start(dataDir);
  const results: TrialResult[] = [];
  const trial = async (calls: number) => {
    const result = await runTrial(harness, calls, seconds);
    console.log(format(result));
    results.push(result);
    return result;
  };
  // A trial takes ~seconds + 3 s; stop ramping when the next one would overrun the budget.
  const fits = () => Date.now() - began + (seconds + 4) * 1000 <= budgetMs;
  try {
    if (fixedCounts) {
      for (const calls of fixedCounts) await trial(calls);
      return;
    }
    let good = 0;
    let bad = Infinity;
    for (let calls = 10; fits() && bad === Infinity; calls *= 2) {
      const result = await trial(calls);
      if (result.verdict === "keeps up") good = calls;
      else bad = calls;
    }
    while (fits() && bad !== Infinity && bad - good > Math.max(2, good * 0.1)) {
      const calls = Math.round((good + bad) / 2);
      if ((await trial(calls)).verdict === "keeps up") good = calls;
      else bad = calls;
    }
    const limit = bad === Infinity ? "not reached within the time budget" : `falls behind or is inconclusive at ${bad}`;
    console.log(`\n→ one server process kept up with ${good} concurrent real-time calls (${limit}); ${((Date.now() - began) / 1000).toFixed(0)} s in all`);
  } finally {
    await harness.app.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
