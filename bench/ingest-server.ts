/**
 * Ingest capacity through the real server, on MySQL/MariaDB + Redis like a fleet: each callvault instance runs in
 * its own process (ingest-instance.ts: the whole app with its media worker pool), and a forked load generator
 * (ingest-load.ts) plays N concurrent real-time Twilio streams, spread over the instances. N grows until the
 * instances stop keeping up. Three sections, side by side in one run:
 *   A. one instance on every core (MEDIA_WORKERS = the machine's cores)           — target: ≥ 400 calls
 *   B. one instance pinned to one core (taskset, MEDIA_WORKERS=1)
 *   C. two instances, each pinned to its own core, one MySQL and Redis           — target: ≥ 1.8 × B
 *   D. one instance pinned to one core with its load generator on the same core: the share of the machine each
 *      instance of C has (in B the generator has the other core to itself)
 *   R. (after D) C at BENCH_RATIO (1.8) × D's capacity and D at its capacity, alternated, BENCH_RATIO_REPEATS (3)
 *      trials each on fresh fleets: the fleet target checked at exactly the load it names (R alone: BENCH_D_CALLS=n
 *      gives D's capacity from an earlier run)
 * Build and run (from the repository root):
 *   npm run build && npx tsc -p bench/tsconfig.json && node dist/bench/ingest-server.js [trialSeconds=10] [minutesPerSection=3] [sections=ABCDR]
 * BENCH_CALLS=n (BENCH_REPEATS=k) plays k trials of n calls per section instead, for CPU per call-second.
 * MEDIA_WORKER_NICENESS and MP3_ENCODER are passed on to the instances. BENCH_PROFILE_DIR=dir: a CPU profile of each instance's event loop.
 * BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306) and BENCH_REDIS_URL (default redis://127.0.0.1:6379).
 */
import { ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import mysql from "mysql2/promise";
import type { InstanceReply, InstanceReport, InstanceRequest } from "./ingest-instance";
import type { LoadMessage, LoadRequest, LoadResult } from "./ingest-load";

const WARM_UP_MS = 3000;
/** Keeping up: no frame lost, event-loop p99 under 50 ms on every instance, no growing backlog. */
const ACCEPTABLE_LOOP_DELAY_P99_MS = 50;
const ACCEPTABLE_BACKLOG_GROWTH_MS = 20;
/** Audio still waiting at the end, per call: beyond this the calls run late even if the backlog is shrinking. */
const ACCEPTABLE_BACKLOG_MS = 200;
/** Above this the load generator itself was late, and the trial says nothing about the server. */
const ACCEPTABLE_CLIENT_LAG_P99_MS = 50;
const MAX_CALLS = 1200;
/** BENCH_CALLS=n runs BENCH_REPEATS trials of n calls per section instead of searching for the capacity. */
const FIXED_CALLS = Number(process.env.BENCH_CALLS ?? 0);
const FIXED_REPEATS = Number(process.env.BENCH_REPEATS ?? 1);
/** Section R: C at this multiple of D's capacity, alternated with D, this many trials each. */
const RATIO_TARGET = Number(process.env.BENCH_RATIO ?? 1.8);
const RATIO_REPEATS = Number(process.env.BENCH_RATIO_REPEATS ?? 3);
/** A V8 CPU profile of each instance's main thread (the whole run, warm-up included) is written here. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const MYSQL_URL = process.env.BENCH_MYSQL_URL || "mysql://root@127.0.0.1:3306";
const REDIS_URL = process.env.BENCH_REDIS_URL || "redis://127.0.0.1:6379";

interface InstanceSpec {
  /** taskset CPU list; unpinned when absent. */
  cpus?: string;
  workers: number;
}

interface TrialResult {
  calls: number;
  sent: number;
  reports: InstanceReport[];
  backlogEarlyMs: number;
  backlogLateMs: number;
  client: LoadResult;
  verdict: "keeps up" | "FALLS BEHIND" | "client-bound";
}

/** One instance process and its strict request → reply IPC. */
class InstanceProcess {
  private readonly replies: ((reply: InstanceReply) => void)[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (reply: InstanceReply) => this.replies.shift()?.(reply));
  }

  static fork(spec: InstanceSpec): InstanceProcess {
    const script = path.join(__dirname, "ingest-instance.js");
    const profile = PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : [];
    const child = spec.cpus
      ? fork(script, [], { execPath: "taskset", execArgv: ["-c", spec.cpus, process.execPath, ...profile], stdio: ["ignore", "inherit", "inherit", "ipc"] })
      : fork(script, [], { execArgv: profile, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    return new InstanceProcess(child);
  }

  request<K extends InstanceReply["kind"]>(request: InstanceRequest, kind: K): Promise<Extract<InstanceReply, { kind: K }>> {
    return new Promise((resolve, reject) => {
      this.replies.push((reply) => {
        if (reply.kind === kind) resolve(reply as Extract<InstanceReply, { kind: K }>);
        else reject(new Error(reply.kind === "error" ? reply.message : `expected ${kind}, got ${reply.kind}`));
      });
      this.child.send(request);
    });
  }

  async stop(): Promise<void> {
    await this.request({ kind: "stop" }, "ok").catch(() => undefined);
    if (this.child.exitCode === null) await new Promise((resolve) => this.child.once("exit", resolve));
  }
}

/** A fleet of instances on a fresh database, a shared Redis and a shared DATA_DIR. */
class Fleet {
  private constructor(
    readonly instances: InstanceProcess[],
    readonly mediaUrls: string[],
    private readonly cleanup: () => Promise<void>,
    /** taskset CPU list of the load generator; unpinned when absent. */
    readonly loadCpus?: string,
  ) {}

  /** The gateway's token, the customer, and `calls` agents (created on the first instance as needed). */
  users(calls: number): Promise<{ token: string; customerId: string; agentIds: string[] }> {
    return this.instances[0].request({ kind: "setup", agents: calls }, "setup");
  }

  static async start(specs: InstanceSpec[], loadCpus?: string): Promise<Fleet> {
    const database = `callvault_bench_${randomBytes(4).toString("hex")}`;
    const admin = await mysql.createConnection(MYSQL_URL);
    await admin.query(`CREATE DATABASE ${database}`);
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "callvault-ingest-bench-"));
    const jwtSecret = randomBytes(32).toString("hex");
    const instances: InstanceProcess[] = [];
    const mediaUrls: string[] = [];
    const cleanup = async () => {
      await Promise.all(instances.map((instance) => instance.stop()));
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
      await fs.rm(dataDir, { recursive: true, force: true });
    };
    try {
      // One at a time: the first migrates the database and writes the master key into DATA_DIR.
      for (const spec of specs) {
        const instance = InstanceProcess.fork(spec);
        instances.push(instance);
        const env = {
          NODE_ENV: "development",
          PORT: "0",
          DATA_DIR: dataDir,
          DATABASE_URL: `${MYSQL_URL}/${database}`,
          REDIS_URL,
          JWT_SECRET: jwtSecret,
          SEED_DEMO: "false",
          MEDIA_WORKERS: String(spec.workers),
          // One gateway user opens every call of the capacity search: the per-user quota must not be what it measures.
          MEDIA_MAX_STREAMS: "10000",
          MEDIA_MAX_STREAMS_PER_USER: "10000",
          // To compare the workers' priorities (the instance's default otherwise).
          ...(process.env.MEDIA_WORKER_NICENESS ? { MEDIA_WORKER_NICENESS: process.env.MEDIA_WORKER_NICENESS } : {}),
          // To compare the LAME builds (native when built, otherwise WebAssembly).
          ...(process.env.MP3_ENCODER ? { MP3_ENCODER: process.env.MP3_ENCODER } : {}),
        };
        mediaUrls.push((await instance.request({ kind: "start", env }, "started")).mediaUrl);
      }
      return new Fleet(instances, mediaUrls, cleanup, loadCpus);
    } catch (error) {
      await cleanup();
      throw error;
    }
  }

  stop(): Promise<void> {
    return this.cleanup();
  }
}

async function runTrial(fleet: Fleet, calls: number, seconds: number): Promise<TrialResult> {
  const users = await fleet.users(calls);
  const request: LoadRequest = {
    kind: "run",
    mediaUrl: fleet.mediaUrls[0],
    token: users.token,
    streams: users.agentIds.map((agentId, i) => ({ customerId: users.customerId, agentId, mediaUrl: fleet.mediaUrls[i % fleet.mediaUrls.length] })),
    seconds,
    warmUpMs: WARM_UP_MS,
  };
  let steadyStart = 0;
  let steadyEnd = 0;
  const relayed: Promise<unknown>[] = [];
  const loadScript = path.join(__dirname, "ingest-load.js");
  const child: ChildProcess = fleet.loadCpus
    ? fork(loadScript, [], { execPath: "taskset", execArgv: ["-c", fleet.loadCpus, process.execPath], stdio: ["ignore", "inherit", "inherit", "ipc"] })
    : fork(loadScript, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const client = await new Promise<LoadResult>((resolve, reject) => {
    child.on("message", (message: LoadMessage) => {
      if (message.kind === "steady-start") {
        steadyStart = message.at;
        relayed.push(...fleet.instances.map((instance) => instance.request({ kind: "steady-start" }, "ok")));
      } else if (message.kind === "steady-end") {
        steadyEnd = message.at;
        relayed.push(...fleet.instances.map((instance) => instance.request({ kind: "steady-end" }, "ok")));
      } else if (message.kind === "result") resolve(message.result);
      else reject(new Error(message.message));
    });
    child.once("exit", (code) => reject(new Error(`the load generator exited with ${code}`)));
    child.send(request);
  });
  await Promise.all(relayed);
  const reports = await Promise.all(fleet.instances.map(async (instance) => (await instance.request({ kind: "report" }, "report")).report));

  // Backlog: media messages sent by then minus frames accepted (by the workers) on every instance, as ms of audio per call.
  const interpolate = (samples: [number, number][], at: number) => {
    const after = samples.findIndex(([time]) => time > at);
    if (after <= 0) return after === 0 ? samples[0][1] : (samples[samples.length - 1]?.[1] ?? 0);
    const [t0, v0] = samples[after - 1];
    const [t1, v1] = samples[after];
    return v0 + ((v1 - v0) * (at - t0)) / Math.max(1, t1 - t0);
  };
  const window = steadyEnd - steadyStart;
  const backlog = client.sentSamples
    .filter(([at]) => at >= steadyStart && at <= steadyEnd)
    .map(([at, sent]) => ({ at, ms: ((sent - reports.reduce((sum, r) => sum + interpolate(r.acceptedSamples, at), 0)) / (2 * calls)) * 20 }));
  const meanBacklog = (from: number, to: number) => {
    const values = backlog.filter((b) => b.at >= steadyStart + from * window && b.at < steadyStart + to * window).map((b) => b.ms);
    return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
  };
  const total = (key: "accepted" | "dropped" | "rejected" | "available") => reports.reduce((sum, r) => sum + r[key], 0);
  if (process.env.BENCH_BACKLOG_TRACE) console.log(`    backlog every 500 ms: ${backlog.filter((_, i) => i % 5 === 0).map((b) => b.ms.toFixed(0)).join(" ")}`);
  const backlogEarlyMs = meanBacklog(0, 1 / 3);
  const backlogLateMs = meanBacklog(2 / 3, 1);
  const lossless = total("dropped") === 0 && total("rejected") === 0 && total("accepted") === client.framesSent && total("available") === calls;
  const keptUp =
    lossless &&
    reports.every((r) => r.loopDelayP99Ms <= ACCEPTABLE_LOOP_DELAY_P99_MS) &&
    backlogLateMs - backlogEarlyMs <= ACCEPTABLE_BACKLOG_GROWTH_MS &&
    backlogLateMs <= ACCEPTABLE_BACKLOG_MS;
  // A late load generator sent less than real time: whatever the instances did, the trial says nothing of them.
  const clientBound = client.sendLagP99Ms > ACCEPTABLE_CLIENT_LAG_P99_MS;
  const verdict = clientBound && (keptUp || lossless) ? "client-bound" : keptUp ? "keeps up" : "FALLS BEHIND";
  return { calls, sent: client.framesSent, reports, backlogEarlyMs, backlogLateMs, client, verdict };
}

function format(r: TrialResult): string {
  const pct = (share: number) => `${(share * 100).toFixed(0)}%`;
  const total = (key: "accepted" | "dropped" | "rejected" | "available") => r.reports.reduce((sum, report) => sum + report[key], 0);
  const instances = r.reports
    .map((report, i) => `#${i}: cpu ${pct(report.cpu)} (loop thread ${pct(report.mainCpu)}) loop p50 ${report.loopDelayP50Ms.toFixed(1)} p99 ${report.loopDelayP99Ms.toFixed(1)} max ${report.loopDelayMaxMs.toFixed(0)} ms, worker backlog ≤ ${report.workerBacklogMax}, rss ${report.rssMb.toFixed(0)} MB`)
    .join("\n             ");
  return (
    `  ${String(r.calls).padStart(4)} calls  frames sent ${r.sent} accepted ${total("accepted")} dropped ${total("dropped")} rejected ${total("rejected")}  AVAILABLE ${total("available")}/${r.calls}` +
    `  backlog ${r.backlogEarlyMs.toFixed(1)} → ${r.backlogLateMs.toFixed(1)} ms/call\n             ${instances}\n` +
    `             CPU ms per call-second: ${cpuPerCallSecond(r)}\n` +
    `             client cpu ${pct(r.client.cpuShare)} send lag p99 ${r.client.sendLagP99Ms.toFixed(1)} ms  stop→close p50 ${r.client.stopToCloseP50Ms} ms  closes ${JSON.stringify(r.client.closeCodes)}` +
    `  load ${os.loadavg()[0].toFixed(1)}  → ${r.verdict}`
  );
}

/**
 * CPU per second of one call: the instances over the whole trial (every frame processed, calls started and
 * ended: robust to a backlog and to other work on the machine), their event loops alone, and the load generator.
 */
function cpuPerCallSecond(r: TrialResult): string {
  const callSeconds = r.sent / 100; // two tracks of 20 ms frames
  const sum = (key: "trialCpuMs" | "trialMainCpuMs") => r.reports.reduce((total, report) => total + report[key], 0);
  return `instances ${(sum("trialCpuMs") / callSeconds).toFixed(2)} (event loop ${(sum("trialMainCpuMs") / callSeconds).toFixed(2)}), load generator ${((r.client.cpuShare * 1000) / r.calls).toFixed(2)}`;
}

/** A fleet on a fresh database, warmed up; `agents` are created ahead so that a fixed-load trial's CPU is the calls' alone. */
async function warmFleet(specs: InstanceSpec[], warmUpCalls: number, agents: number, loadCpus?: string): Promise<Fleet> {
  const fleet = await Fleet.start(specs, loadCpus);
  try {
    if (agents > 0) await fleet.users(agents);
    // Not counted: the first calls start the media workers (thread start, WebAssembly compile), warm the JIT and
    // leave LAME instances for the next calls to reuse, as a running instance has.
    const warmUp = await runTrial(fleet, warmUpCalls, 3);
    console.log(`  (warm-up, not counted: ${warmUp.calls} calls, ${warmUp.verdict})`);
    return fleet;
  } catch (error) {
    await fleet.stop();
    throw error;
  }
}

/** Ramps the call count (doubling, then bisecting to within 10 %) inside the time budget; returns the most that kept up. */
async function section(label: string, specs: InstanceSpec[], firstCalls: number, seconds: number, budgetMs: number, loadCpus?: string): Promise<number> {
  console.log(`\n${label}`);
  const fleet = await warmFleet(specs, Math.min(firstCalls, 20), FIXED_CALLS, loadCpus);
  const began = Date.now();
  try {
    // A trial takes its seconds plus ~8 s (creating agents the first time, connecting, warm-up, draining).
    const fits = () => Date.now() - began + (seconds + 8) * 1000 <= budgetMs;
    const trial = async (calls: number) => {
      const result = await runTrial(fleet, calls, seconds);
      console.log(format(result));
      return result.verdict === "keeps up";
    };
    if (FIXED_CALLS > 0) {
      // A fixed load, for CPU per call-second: robust to a machine shared with other work, unlike capacity.
      for (let repeat = 0; repeat < FIXED_REPEATS; repeat++) await trial(FIXED_CALLS);
      return FIXED_CALLS;
    }
    let good = 0;
    let bad = Infinity;
    for (let calls = firstCalls; fits() && bad === Infinity && calls <= MAX_CALLS; calls *= 2) {
      if (await trial(calls)) good = calls;
      else bad = calls;
    }
    while (fits() && bad !== Infinity && bad - good > Math.max(10, good * 0.1)) {
      const calls = Math.round((good + bad) / 2);
      if (await trial(calls)) good = calls;
      else bad = calls;
    }
    const limit = bad === Infinity ? "no limit reached within the time budget" : `falls behind at ${bad}`;
    console.log(`  → kept up with ${good} concurrent real-time calls (${limit}); ${((Date.now() - began) / 1000).toFixed(0)} s`);
    return good;
  } finally {
    await fleet.stop();
  }
}

/**
 * The fleet target checked directly, side by side: D (one instance and its generator on one core) at the capacity
 * its search found, and C (two instances) at `ratio` × that, alternated, each trial on a fresh fleet warmed up
 * with the trial's own number of calls.
 * A capacity search moves in steps of 10 % and one unlucky trial caps it; repeated fixed loads say how often
 * each configuration keeps up at exactly the load the target names.
 */
async function ratioCheck(oneInstanceCalls: number, ratio: number, repeats: number, seconds: number): Promise<{ d: boolean[]; c: boolean[]; cCalls: number }> {
  const cCalls = Math.ceil(oneInstanceCalls * ratio);
  console.log(`\nR. C at ${ratio} × D = ${cCalls} calls, alternated with D at ${oneInstanceCalls} calls, ${repeats} trials each (fresh fleet per trial)`);
  const d: boolean[] = [];
  const c: boolean[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const [label, specs, calls, loadCpus, outcomes] of [
      ["D", [{ cpus: "0", workers: 1 }], oneInstanceCalls, "0", d],
      ["C", [{ cpus: "0", workers: 1 }, { cpus: "1", workers: 1 }], cCalls, undefined, c],
    ] as const) {
      console.log(` ${label} trial ${repeat + 1}:`);
      // Warmed up with the trial's own number of calls: in the capacity search, the trials before left the
      // instance that many LAME instances and a warm JIT; a cold instance pays ~2 s of CPU to start them all.
      const fleet = await warmFleet([...specs], calls, calls, loadCpus);
      try {
        const result = await runTrial(fleet, calls, seconds);
        console.log(format(result));
        outcomes.push(result.verdict === "keeps up");
      } finally {
        await fleet.stop();
      }
    }
  }
  return { d, c, cCalls };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 10);
  const budgetMs = Number(process.argv[3] ?? 3) * 60_000;
  const sections = process.argv[4] ?? "ABCDR";
  const cores = os.availableParallelism();
  console.log(`Node ${process.version}, ${cores} × ${os.cpus()[0]?.model ?? "unknown CPU"}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`Instances on MySQL/MariaDB + Redis, real-time Twilio streams from a forked process (unpinned); ${seconds} s trials.`);
  console.log(`Keeps up = every frame accepted, every recording AVAILABLE, event-loop p99 ≤ ${ACCEPTABLE_LOOP_DELAY_P99_MS} ms on every instance, backlog growth ≤ ${ACCEPTABLE_BACKLOG_GROWTH_MS} ms and ≤ ${ACCEPTABLE_BACKLOG_MS} ms at the end.`);
  const found: Record<string, number> = {};
  if (sections.includes("A")) found.A = await section(`A. one instance, every core (MEDIA_WORKERS=${cores}) — target ≥ 400 (before the worker pool: < 200)`, [{ workers: cores }], 100, seconds, budgetMs);
  if (sections.includes("B")) found.B = await section("B. one instance pinned to one core (taskset -c 0, MEDIA_WORKERS=1)", [{ cpus: "0", workers: 1 }], 50, seconds, budgetMs);
  if (sections.includes("D")) {
    // In C each instance shares its core with (about half of) the load generator, which plays its calls; in B the
    // generator has the other core to itself. D gives one instance what each instance of C has: one core, shared
    // with the generator of its own calls.
    found.D = await section("D. one instance and its load generator pinned to one core (taskset -c 0, MEDIA_WORKERS=1): one instance of C's share", [{ cpus: "0", workers: 1 }], 50, seconds, budgetMs, "0");
  }
  if (sections.includes("C") && cores >= 2) {
    found.C = await section("C. two instances, each pinned to its own core (MEDIA_WORKERS=1 each), one MySQL + Redis — target ≥ 1.8 × B", [{ cpus: "0", workers: 1 }, { cpus: "1", workers: 1 }], 100, seconds, budgetMs);
  }
  // R alone checks against a D capacity found earlier (BENCH_D_CALLS).
  if (found.D === undefined && process.env.BENCH_D_CALLS) found.D = Number(process.env.BENCH_D_CALLS);
  const check = sections.includes("R") && found.D && cores >= 2 ? await ratioCheck(found.D, RATIO_TARGET, RATIO_REPEATS, seconds) : undefined;
  console.log("\nSummary (concurrent real-time calls with zero dropped frames and event-loop p99 ≤ 50 ms):");
  if (found.A !== undefined) console.log(`  A. one instance, ${cores} cores: ${found.A}   (target ≥ 400; before the worker pool: < 200)`);
  if (found.B !== undefined) console.log(`  B. one instance, 1 core: ${found.B}`);
  if (found.D !== undefined) console.log(`  D. one instance and its load generator, 1 core: ${found.D}`);
  if (found.C !== undefined) {
    const ratios = [found.B ? `${(found.C / found.B).toFixed(2)} × B` : "", found.D ? `${(found.C / found.D).toFixed(2)} × D` : ""].filter(Boolean).join(", ");
    console.log(`  C. two instances, 1 core each: ${found.C}${ratios ? `   = ${ratios} (target ≥ 1.8)` : ""}`);
  }
  if (check) {
    const kept = (outcomes: boolean[]) => `keeps up in ${outcomes.filter(Boolean).length} of ${outcomes.length} trials`;
    console.log(`  R. D at ${found.D} calls: ${kept(check.d)}; C at ${RATIO_TARGET} × D = ${check.cCalls} calls: ${kept(check.c)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
