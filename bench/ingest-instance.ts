/**
 * One callvault instance of the ingest benchmark, in its own process (forked by ingest-server.ts and driven
 * over IPC): the whole app — HTTP, the /media WebSocket, sessions, the media worker pool, encryption, the
 * filesystem store — on the shared MySQL/MariaDB and Redis. It measures its own event loop and CPU over the
 * steady window and reports what its sessions accepted and how the recordings ended.
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { App, createApp } from "../src/app";
import { Role } from "../src/auth/role";
import type { Viewer } from "../src/auth/viewer";
import { loadConfig } from "../src/config/config";
import type { LiveMediaSession } from "../src/ingest/live-media-session";
import { RecordingState } from "../src/recordings/recording-state";
import { mainThreadCpuMs } from "./thread-cpu";

export type InstanceRequest =
  | { kind: "start"; env: Record<string, string> }
  /** Only on the first instance: the gateway user and a customer (once), and at least `agents` agents, in the shared database. */
  | { kind: "setup"; agents: number }
  | { kind: "steady-start" }
  | { kind: "steady-end" }
  | { kind: "report" }
  | { kind: "stop" };

export interface InstanceReport {
  accepted: number;
  dropped: number;
  rejected: number;
  recordings: number;
  available: number;
  cpu: number;
  /** The event loop's own share of `cpu` (the rest is media workers, GC and libuv threads); NaN without /proc. */
  mainCpu: number;
  /**
   * CPU ms since the previous report, of the process and of its main thread: by the time of a report every call
   * has ended, so this is all the work of the trial, also what a backlog carried past the steady window.
   */
  trialCpuMs: number;
  trialMainCpuMs: number;
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** [wall-clock ms, frames accepted so far] every 100 ms of the steady window. */
  acceptedSamples: [number, number][];
  /** Most pipeline batches in flight to the workers at once (a worker falling behind shows here). */
  workerBacklogMax: number;
  rssMb: number;
}

export type InstanceReply =
  | { kind: "started"; mediaUrl: string; workers: number }
  | { kind: "setup"; token: string; customerId: string; agentIds: string[] }
  | { kind: "report"; report: InstanceReport }
  | { kind: "ok" }
  | { kind: "error"; message: string };

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/** The histogram records the time between its timer's ticks, so an idle loop reads as the resolution itself. */
const LOOP_RESOLUTION_MS = 10;
const loopDelayMs = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - LOOP_RESOLUTION_MS);

class Instance {
  private sessions: LiveMediaSession[] = [];
  private readonly loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private cpuAtStart = process.cpuUsage();
  private steadyStart = 0;
  private cpu = 0;
  private mainCpuAtStart = 0;
  private mainCpu = NaN;
  private cpuAtReport = cpuMs(process.cpuUsage());
  private mainCpuAtReport = mainThreadCpuMs() ?? NaN;
  private sampler: NodeJS.Timeout | undefined;
  private acceptedSamples: [number, number][] = [];
  private workerBacklogMax = 0;

  constructor(readonly app: App) {
    // Keep every session this instance opens, so its frame counters can be read after the stream closed.
    const registry = app.services.sessions;
    const open = registry.open.bind(registry);
    registry.open = async (recordingId, streamOrigin) => {
      const session = await open(recordingId, streamOrigin);
      this.sessions.push(session);
      return session;
    };
  }

  get mediaUrl(): string {
    return this.app.server.url.replace("localhost", "127.0.0.1").replace(/^http/, "ws").replace(/\/graphql$/, "/media");
  }

  private bench: { token: string; customerId: string; agentIds: string[]; tag: string } | undefined;

  /** The gateway user and a customer (once), and agents up to `agents`: an agent has one live call at a time. */
  async setup(agents: number): Promise<InstanceReply> {
    const services = this.app.services;
    if (!this.bench) {
      const tag = randomUUID().slice(0, 8);
      const gatewayUser = await services.users.create(undefined, "bench", { email: `gateway-${tag}@bench.test`, displayName: "Bench gateway", roles: [Role.API_USER] });
      const gateway = (await services.users.loadViewer(gatewayUser.id)) as Viewer;
      const customer = await services.customers.create(gateway, "bench", "Bench customer");
      this.bench = { token: await services.tokens.mint(gatewayUser.id), customerId: customer.id, agentIds: [], tag };
    }
    const bench = this.bench;
    while (bench.agentIds.length < agents) {
      const n = bench.agentIds.length;
      bench.agentIds.push((await services.users.create(undefined, "bench", { email: `agent-${n}-${bench.tag}@bench.test`, displayName: `Agent ${n}`, roles: [Role.AGENT] })).id);
    }
    return { kind: "setup", token: bench.token, customerId: bench.customerId, agentIds: bench.agentIds.slice(0, agents) };
  }

  steadyStarted(): void {
    this.sessions = this.sessions.filter((session) => !session.finished);
    this.acceptedSamples = [];
    this.workerBacklogMax = 0;
    this.steadyStart = Date.now();
    this.cpuAtStart = process.cpuUsage();
    this.mainCpuAtStart = mainThreadCpuMs() ?? NaN;
    this.loop.enable();
    this.loop.reset();
    this.sampler = setInterval(() => {
      this.acceptedSamples.push([Date.now(), this.accepted()]);
      this.workerBacklogMax = Math.max(this.workerBacklogMax, this.app.services.mediaWorkers.backlogBatches);
    }, 100);
  }

  steadyEnded(): void {
    this.loop.disable();
    clearInterval(this.sampler);
    const elapsed = Math.max(1, Date.now() - this.steadyStart);
    this.cpu = cpuMs(process.cpuUsage(this.cpuAtStart)) / elapsed;
    this.mainCpu = ((mainThreadCpuMs() ?? NaN) - this.mainCpuAtStart) / elapsed;
  }

  async report(): Promise<InstanceReport> {
    const sum = (key: "accepted" | "dropped" | "rejected") => this.sessions.reduce((total, session) => total + session.counters[key], 0);
    let available = 0;
    for (const session of this.sessions) {
      if ((await this.app.services.recordings.find(session.recordingId))?.state === RecordingState.AVAILABLE) available++;
    }
    const [cpuNow, mainCpuNow] = [cpuMs(process.cpuUsage()), mainThreadCpuMs() ?? NaN];
    const report = {
      trialCpuMs: cpuNow - this.cpuAtReport,
      trialMainCpuMs: mainCpuNow - this.mainCpuAtReport,
      mainCpu: this.mainCpu,
      accepted: sum("accepted"),
      dropped: sum("dropped"),
      rejected: sum("rejected"),
      recordings: this.sessions.length,
      available,
      cpu: this.cpu,
      loopDelayP50Ms: loopDelayMs(this.loop.percentile(50)),
      loopDelayP99Ms: loopDelayMs(this.loop.percentile(99)),
      loopDelayMaxMs: loopDelayMs(this.loop.max),
      acceptedSamples: this.acceptedSamples,
      workerBacklogMax: this.workerBacklogMax,
      rssMb: process.memoryUsage().rss / 1e6,
    };
    this.sessions = [];
    [this.cpuAtReport, this.mainCpuAtReport] = [cpuNow, mainCpuNow];
    return report;
  }

  private accepted(): number {
    return this.sessions.reduce((total, session) => total + session.counters.accepted, 0);
  }
}

if (require.main === module) {
  let instance: Instance | undefined;
  const reply = (message: InstanceReply) => process.send?.(message);
  const handle = async (request: InstanceRequest): Promise<InstanceReply> => {
    switch (request.kind) {
      case "start": {
        const app = await createApp(loadConfig(request.env), { host: "127.0.0.1", log: () => undefined });
        instance = new Instance(app);
        return { kind: "started", mediaUrl: instance.mediaUrl, workers: app.config.mediaPipeline.workers };
      }
      case "setup":
        return instance!.setup(request.agents);
      case "steady-start":
        instance!.steadyStarted();
        return { kind: "ok" };
      case "steady-end":
        instance!.steadyEnded();
        return { kind: "ok" };
      case "report":
        return { kind: "report", report: await instance!.report() };
      case "stop":
        await instance?.app.close();
        setImmediate(() => process.disconnect?.());
        return { kind: "ok" };
    }
  };
  process.on("message", (request: InstanceRequest) => {
    handle(request)
      .then(reply)
      .catch((error: unknown) => reply({ kind: "error", message: String((error as Error)?.stack ?? error) }));
  });
}
