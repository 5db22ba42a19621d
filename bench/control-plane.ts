/**
 * The control plane at speed, side by side in one run (npm run bench:control). Servers run in their own
 * processes; this process is the load generator (real sockets, real HTTP):
 *  (a) fan-out: broadcast (N sockets watching one recording) and selective (N agents each watching their
 *      own call; N = 1,000 and 5,000), callvault against a bare graphql-ws + graphql-js server with the same schema shape;
 *  (b) pause→CHANGE latency, open loop at 200 pause/resume ops/s with 1,000 agents subscribed, every event
 *      checked for delivery in sequence order;
 *  (c) pause+resume pairs/s against a raw-driver script making the same writes (and two variants of it), with no
 *      subscribers, 5,000 watching other calls and 5,000 watching the busy calls; the bare server's pairs/s under
 *      the same load show what HTTP + GraphQL and the deliveries alone allow on this machine;
 *  (d) pairs/s of one running server while idle watchers arrive (none, 1,000, 5,000, none again after they left).
 * Options (env): BENCH_DB=sqlite|mysql://root@127.0.0.1:3306 (default sqlite), BENCH_QUICK=1 (fewer events),
 * BENCH_ONLY=a,b,c,d (or broadcast / selective: one half of (a)), BENCH_PROFILE_DIR=dir (a V8 CPU profile of each server's measured windows in (a), (c) and (d)), BENCH_SETTLE=0 (MariaDB: do not
 * flush InnoDB's dirty pages before each measurement; see control-plane/innodb.ts).
 */
import { ChildProcess, fork, spawn } from "node:child_process";
import path from "node:path";
import { checkpointAge, settleInnoDB } from "./control-plane/innodb";
import { percentile, Subscribers, toggle } from "./control-plane/load";
import type { BenchTarget, ServerMessage } from "./control-plane/protocol";
import { serviceNodeFlags } from "./service-node-flags";
import { databaseServerPid, processCpuMs } from "./thread-cpu";

const DB = process.env.BENCH_DB ?? "sqlite";
const QUICK = process.env.BENCH_QUICK === "1";
const ONLY = new Set((process.env.BENCH_ONLY ?? "a,b,c,d").split(","));
const AGENTS = Number(process.env.BENCH_AGENTS ?? 1000);
/** Toggles before selective's measured window: enough for both servers' mutation paths to reach optimized code. */
const SELECTIVE_WARM_UP = 2000;
const SETTLE = DB.startsWith("mysql") && process.env.BENCH_SETTLE !== "0";
/**
 * The Node flags `npm start` runs the service with (package.json), given to every server and to the raw driver
 * alike: each measured process runs as production runs callvault. The load generator (this process) keeps its own.
 */
const SERVICE_NODE_FLAGS = serviceNodeFlags(path.join(__dirname, "..", ".."));
const log = (message: string) => process.env.BENCH_VERBOSE && console.error(`[${new Date().toISOString()}] ${message}`);

interface Usage {
  cpuMs: number;
  /** The part of cpuMs spent in the kernel (socket writes, and on loopback the receiving side's TCP work). */
  systemMs: number;
  gcMs: number;
  heapUsedMb: number;
  /** Since the previous usage() call. */
  longestGcMs: number;
  loopDelayMaxMs: number;
  /** The server's own counts so far (callvault: its group commits on MySQL). */
  counters: Record<string, number>;
}

interface Server {
  name: string;
  target: BenchTarget;
  process: ChildProcess;
  cpuMs(): Promise<number>;
  usage(): Promise<Usage>;
}

async function startServer(name: string, script: string, args: string[]): Promise<Server> {
  const child = fork(path.join(__dirname, "control-plane", script), args, { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [...process.execArgv, ...SERVICE_NODE_FLAGS] });
  const target = await new Promise<BenchTarget>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
    child.on("message", (message: ServerMessage) => message.kind === "ready" && resolve(message.target));
  });
  const usage = () =>
    new Promise<Usage>((resolve) => {
      const onMessage = (message: ServerMessage) => {
        if (message.kind !== "cpu") return;
        child.off("message", onMessage);
        resolve({ cpuMs: message.userMs + message.systemMs, systemMs: message.systemMs, gcMs: message.gcMs, heapUsedMb: message.heapUsedMb, longestGcMs: message.longestGcMs, loopDelayMaxMs: message.loopDelayMaxMs, counters: message.counters ?? {} });
      };
      child.on("message", onMessage);
      child.send("cpu");
    });
  return { name, target, process: child, usage, cpuMs: async () => (await usage()).cpuMs };
}

/** MariaDB: every measurement starts with InnoDB's redo checkpointed, not with what earlier ones left behind. */
async function settle(): Promise<string> {
  if (!SETTLE) return "";
  const settled = await settleInnoDB(DB);
  if (!settled) return "InnoDB not settled (SET GLOBAL refused)";
  const mb = (n: number) => n.toFixed(0);
  return `InnoDB checkpoint age ${mb(settled.before.ageMb)} → ${mb(settled.after.ageMb)} MB of ${mb(settled.after.maxMb)}`;
}

const stop = (server: Server) => new Promise<void>((resolve) => {
  server.process.once("exit", () => resolve());
  server.process.disconnect();
  setTimeout(() => server.process.kill(), 5000).unref();
});

/** Agent state as this generator drives it: one operation in flight per agent at a time. */
class Agents {
  paused: boolean[] = [];
  constructor(readonly target: BenchTarget) {
    this.paused = target.agents.map(() => false);
  }
  async toggle(i: number): Promise<number> {
    const pause = !this.paused[i];
    this.paused[i] = pause;
    return toggle(this.target, i, pause);
  }
}

async function broadcast(server: Server, agents: Agents, sockets: number, events: number) {
  const subs = await Subscribers.open(server.target, sockets, () => ({ token: server.target.managerToken, variables: { recordingId: server.target.agents[0].recordingId } }));
  const arrivals = new Map<number, number[]>();
  subs.onChange = (d) => (arrivals.get(d.sequence) ?? arrivals.set(d.sequence, []).get(d.sequence)!).push(d.at);
  const waitAll = async (sequence: number) => {
    const since = performance.now();
    while ((arrivals.get(sequence)?.length ?? 0) < sockets) {
      if (performance.now() - since > 30_000) throw new Error(`${server.name}: sequence ${sequence} reached ${arrivals.get(sequence)?.length ?? 0} of ${sockets} sockets`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  log(`${server.name}: ${sockets} sockets subscribed`);
  for (let i = 0; i < 2; i++) await waitAll(await agents.toggle(0));
  const cpu0 = await server.cpuMs();
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    const sent = performance.now();
    const sequence = await agents.toggle(0);
    await waitAll(sequence);
    for (const at of arrivals.get(sequence)!) latencies.push(at - sent);
  }
  const elapsed = (performance.now() - started) / 1000;
  const cpu = (await server.cpuMs()) - cpu0;
  subs.close();
  return { deliveriesPerSecond: (sockets * events) / elapsed, p99Ms: percentile(latencies, 99), serverCpuUsPerDelivery: (cpu * 1000) / (sockets * events) };
}

/** Selective fan-out on one server: its agents each watching their own call, toggled by `concurrency` closed-loop clients. */
async function selectiveLoad(server: Server, concurrency = 16) {
  const agents = new Agents(server.target);
  const watching = server.target.agents.length;
  const subs = await Subscribers.open(server.target, watching, (i) => ({ token: server.target.agents[i].token, variables: { agentId: server.target.agents[i].id } }));
  let delivered = 0;
  subs.onChange = () => delivered++;
  let next = 0;
  /** `count` toggles, client w on agents next + w, next + w + concurrency, …; resolves once every CHANGE has arrived. */
  const toggles = async (count: number) => {
    const expected = delivered + count;
    const from = next;
    next = (next + count) % watching;
    let issued = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        for (let i = (from + w) % watching; issued < count; i = (i + concurrency) % watching) {
          issued++;
          await agents.toggle(i);
        }
      }),
    );
    while (delivered < expected) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  // Not measured: a fresh process runs its first two or three thousand mutations in colder code than its later
  // ones (the JIT), both servers alike. Counted back from the last agent, so that at 5,000 the measured toggles
  // meet agents never touched (at 1,000 it goes round them twice).
  next = watching - Math.min(SELECTIVE_WARM_UP, watching);
  await toggles(SELECTIVE_WARM_UP);
  next = 0;
  /** One measured round: elapsed seconds and each process's CPU (ms). */
  const round = async (count: number) => {
    const before = await server.usage();
    const database = databaseCpu();
    const generatorBefore = process.cpuUsage();
    const started = performance.now();
    await toggles(count);
    const elapsed = (performance.now() - started) / 1000;
    const generator = process.cpuUsage(generatorBefore);
    const databaseMs = database();
    const after = await server.usage();
    return {
      toggles: count,
      elapsed,
      serverMs: after.cpuMs - before.cpuMs,
      generatorMs: (generator.user + generator.system) / 1000,
      databaseMs,
      groups: (after.counters.groups ?? 0) - (before.counters.groups ?? 0),
      units: (after.counters.units ?? 0) - (before.counters.units ?? 0),
    };
  };
  return { round, close: () => subs.close() };
}

type SelectiveRound = Awaited<ReturnType<Awaited<ReturnType<typeof selectiveLoad>>["round"]>>;

/**
 * Selective fan-out, callvault and the bare server side by side: both run at once (the idle one holds its
 * sockets and does nothing), and the measured toggles are taken in alternating rounds, ABBA, each round after
 * InnoDB settled. This VM's speed drifts by a third within a minute; measured one after the other, the two
 * servers met different machines, and the ratio swung with them. Returns each server's totals over its rounds.
 */
async function selectivePair(sockets: number, events: number, rounds: number) {
  const servers: Server[] = [];
  const loads: Awaited<ReturnType<typeof selectiveLoad>>[] = [];
  for (const [name, script] of [["callvault", "callvault-server.js"], ["bare", "reference-server.js"]] as const) {
    const server = await startServer(name, script, [String(sockets), DB]);
    servers.push(server);
    loads.push(await selectiveLoad(server));
  }
  const measured: SelectiveRound[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      log(await settle());
      measured[i].push(await loads[i].round(Math.round(events / rounds)));
    }
  }
  for (const load of loads) load.close();
  for (const server of servers) await stop(server);
  return servers.map((server, i) => {
    const sum = (pick: (round: SelectiveRound) => number | undefined) => measured[i].reduce((total, round) => total + (pick(round) ?? 0), 0);
    const toggles = sum((round) => round.toggles);
    const perToggle = (ms: number) => (ms * 1000) / toggles;
    const result = {
      deliveriesPerSecond: toggles / sum((round) => round.elapsed),
      serverCpuUsPerDelivery: perToggle(sum((round) => round.serverMs)),
      rounds: measured[i].map((round) => round.toggles / round.elapsed),
    };
    const groups = sum((round) => round.groups);
    log(
      `${server.name} selective, ${sockets} agents: ${fmt(result.deliveriesPerSecond)}/s (rounds ${result.rounds.map((rate) => fmt(rate)).join(", ")}); CPU per toggle: server ${fmt(result.serverCpuUsPerDelivery)} + generator ${fmt(perToggle(sum((round) => round.generatorMs)))}` +
        (measured[i][0].databaseMs === undefined ? "" : ` + database ${fmt(perToggle(sum((round) => round.databaseMs)))}`) +
        ` µs${groups > 0 ? `; ${fmt(sum((round) => round.units) / groups, 1)} units per group commit` : ""}`,
    );
    return result;
  });
}

async function latency(server: Server, agents: Agents, ratePerSecond: number, seconds: number) {
  const subs = await Subscribers.open(server.target, AGENTS, (i) => ({ token: server.target.agents[i].token, variables: { agentId: server.target.agents[i].id } }));
  const sentAt = new Map<string, number>();
  const expectedNext = server.target.agents.map(() => 0);
  const latencies: number[] = [];
  let outOfOrder = 0;
  let delivered = 0;
  subs.onChange = (d) => {
    delivered++;
    if (expectedNext[d.socket] && d.sequence !== expectedNext[d.socket]) outOfOrder++;
    expectedNext[d.socket] = d.sequence + 1;
    const sent = sentAt.get(`${d.socket}:${d.sequence}`);
    if (sent !== undefined) latencies.push(d.at - sent);
  };
  const sequences = server.target.agents.map(() => 1);
  const total = ratePerSecond * seconds;
  await server.usage();
  const started = performance.now();
  const operations: Promise<unknown>[] = [];
  for (let k = 0; k < total; k++) {
    const due = started + (k * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const i = k % AGENTS;
    sequences[i]++;
    // Keyed by the sequence the change will carry: a delivery may beat the mutation's response.
    sentAt.set(`${i}:${sequences[i]}`, due);
    operations.push(agents.toggle(i));
  }
  await Promise.all(operations);
  const { longestGcMs, loopDelayMaxMs } = await server.usage();
  const drainUntil = performance.now() + 3000;
  while (delivered < total && performance.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 5));
  subs.close();
  return { operations: total, delivered, missing: total - delivered, outOfOrder, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: percentile(latencies, 100), longestGcMs, loopDelayMaxMs };
}

/**
 * Who watches during a throughput run (clients pause and resume agents 0 … clients-1): nobody; 5,000 sockets
 * watching the other agents' calls, so no event of the run is theirs (what keyed fan-out must make free); or
 * 5,000 sockets, five on every agent's call, so each event of the run goes to five sockets.
 */
type Watchers = "none" | "idle" | "busy";
const WATCHERS = 5000;

async function throughput(server: Server, agents: Agents, clients: number, seconds: number, watchers: Watchers) {
  const subs = watchers === "none" ? undefined : await openWatchers(server, clients, watchers, WATCHERS);
  const run = await pairsRun(server, agents, clients, seconds, `${watchers === "none" ? "no" : `${WATCHERS} ${watchers}`} subscribers`);
  subs?.close();
  return run;
}

/** `count` sockets watching, as the manager, either the calls clients 0 … clients-1 toggle ("busy") or the others ("idle"); `from` offsets who watches what. */
function openWatchers(server: Server, clients: number, watchers: Exclude<Watchers, "none">, count: number, from = 0): Promise<Subscribers> {
  const watched = (i: number) => (watchers === "idle" ? clients + (i % (AGENTS - clients)) : i % AGENTS);
  return Subscribers.open(server.target, count, (i) => ({ token: server.target.managerToken, variables: { agentId: server.target.agents[watched(from + i)].id } }));
}

/** Pause+resume pairs from `clients` closed-loop clients for `seconds`, with whatever watchers are open. */
async function pairsRun(server: Server, agents: Agents, clients: number, seconds: number, watching: string): Promise<PairsRun> {
  let pairs = 0;
  const before = await server.usage();
  const database = databaseCpu();
  const generatorBefore = process.cpuUsage();
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (performance.now() < deadline) {
        await agents.toggle(c);
        await agents.toggle(c);
        pairs++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const generator = process.cpuUsage(generatorBefore);
  const databaseMs = database();
  const after = await server.usage();
  const perPair = (ms: number) => (ms * 1000) / pairs;
  const groups = (after.counters.groups ?? 0) - (before.counters.groups ?? 0);
  const grouping = groups > 0 ? `, ${fmt(((after.counters.units ?? 0) - (before.counters.units ?? 0)) / groups, 1)} units per group commit` : "";
  const run: PairsRun = {
    pairsPerSecond: pairs / elapsed,
    cpuUsPerPair: { server: perPair(after.cpuMs - before.cpuMs), generator: perPair((generator.user + generator.system) / 1000), database: databaseMs === undefined ? undefined : perPair(databaseMs) },
  };
  log(
    `${server.name} ${watching}: ${run.pairsPerSecond.toFixed(0)} pairs/s, ${cpuPerPair(run)} ` +
      `(of the server's, ${perPair(after.systemMs - before.systemMs).toFixed(0)} µs in the kernel and ${perPair(after.gcMs - before.gcMs).toFixed(0)} µs in GC), heap ${after.heapUsedMb.toFixed(0)} MB${grouping}`,
  );
  return run;
}

/**
 * The steps of (d), in the order one server meets them: none, then more and more watchers, the last count measured
 * again a run later (the first run follows the arrival of 4,000 sockets at once), then none again once all have left.
 */
const GROWTH_STEPS = [
  { watchers: 0, label: "none yet" },
  { watchers: 1000, label: "1,000" },
  { watchers: WATCHERS, label: "5,000, the run after 4,000 arrived" },
  { watchers: WATCHERS, label: "5,000, a run later" },
  { watchers: 0, label: "none again (all hung up)" },
];

/**
 * (d) One running server while idle watchers arrive: pairs/s with none, 1,000 and 5,000 watching calls the run does
 * not touch (the 5,000 twice: right after 4,000 arrived at once, and a run later), then none again after they hung
 * up. The same process, warmed the same way, meets every count, and the two runs without watchers bracket the
 * others in time. callvault and the bare server run at once and are measured alternately at every step (the order
 * swapped from one step to the next): this VM's speed drifts by a third within minutes, and a server measured
 * alone met a slower machine at its later steps as easily as more watchers. Returns each server's runs, by step.
 */
async function growthPair(servers: Server[], clients: number, seconds: number): Promise<PairsRun[][]> {
  const agents = servers.map((server) => new Agents(server.target));
  // A fresh process's first seconds run colder code than its later ones: not measured, so the first step is not the slowest for that.
  for (const [i, server] of servers.entries()) await pairsRun(server, agents[i], clients, seconds / 2, "warm-up, no watchers");
  const runs: PairsRun[][] = servers.map(() => []);
  const open: Subscribers[][] = servers.map(() => []);
  let watching = 0;
  for (const [step, { watchers: count, label }] of GROWTH_STEPS.entries()) {
    for (const [i, server] of servers.entries()) {
      if (count > watching) open[i].push(await openWatchers(server, clients, "idle", count - watching, watching));
      if (count === 0 && watching > 0) for (const subs of open[i].splice(0)) subs.close();
    }
    // The servers' side of 5,000 hang-ups is handled before the runs, not in them.
    if (count === 0 && watching > 0) await new Promise((resolve) => setTimeout(resolve, 2000));
    watching = count;
    for (const i of step % 2 === 0 ? [0, 1] : [1, 0]) {
      if (SETTLE) log(await settle());
      runs[i].push(await pairsRun(servers[i], agents[i], clients, seconds, `idle watchers ${label}`));
    }
  }
  return runs;
}

/** A throughput run: pairs/s, and the CPU each process spent per pair (the database server's when it runs on this machine). */
interface PairsRun {
  pairsPerSecond: number;
  cpuUsPerPair: Record<string, number | undefined>;
}

/** The local database server's CPU from now until the returned function is called; SQLite's is the server's own. */
function databaseCpu(): () => number | undefined {
  const pid = DB.startsWith("mysql") ? databaseServerPid() : undefined;
  const before = pid === undefined ? undefined : processCpuMs(pid);
  return () => {
    const after = pid === undefined ? undefined : processCpuMs(pid);
    return before === undefined || after === undefined ? undefined : after - before;
  };
}

const cpuPerPair = (run: PairsRun) =>
  Object.entries(run.cpuUsPerPair)
    .filter(([, us]) => us !== undefined)
    .map(([who, us]) => `${who} ${fmt(us!)}`)
    .join(" + ") + " µs CPU per pair";

type RawMode = "unchained" | "sequenced" | "chained";

function raw(clients: number, seconds: number, mode: RawMode): Promise<PairsRun> {
  return new Promise((resolve, reject) => {
    const args = [path.join(__dirname, "control-plane", "raw-writes.js"), DB, String(clients), String(seconds), mode];
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`raw-writes exited ${code}`));
      const result = JSON.parse(out.trim().split("\n").pop()!) as { pairsPerSecond: number; cpuUsPerPair: number; databaseCpuUsPerPair?: number };
      const run: PairsRun = { pairsPerSecond: result.pairsPerSecond, cpuUsPerPair: { driver: result.cpuUsPerPair, database: result.databaseCpuUsPerPair } };
      log(`raw ${mode}: ${run.pairsPerSecond.toFixed(0)} pairs/s, ${cpuPerPair(run)}`);
      resolve(run);
    });
  });
}

/** The middle value; of an even count, the mean of the two middle ones (two repeats give their mean, not the higher). */
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main() {
  const repeats = QUICK ? 1 : 2;
  console.log(`control-plane bench: database ${DB.startsWith("mysql") ? "MariaDB/MySQL" : "SQLite (embedded)"}, ${repeats} interleaved repeat(s) of (a), ${QUICK ? 1 : repeats + 1} of (c); servers and the raw driver run with \`node ${SERVICE_NODE_FLAGS.join(" ") || "(no flags)"}\` as \`npm start\`\n`);
  if (ONLY.has("a") || ONLY.has("broadcast") || ONLY.has("selective")) {
    const rows: string[] = [];
    for (const sockets of ONLY.has("a") || ONLY.has("broadcast") ? (QUICK ? [1000] : [1000, 5000]) : []) {
      const results: Record<string, { dps: number[]; p99: number[]; cpu: number[] }> = { callvault: { dps: [], p99: [], cpu: [] }, bare: { dps: [], p99: [], cpu: [] } };
      for (let r = 0; r < repeats; r++) {
        for (const [name, script] of [["callvault", "callvault-server.js"], ["bare", "reference-server.js"]] as const) {
          if (name === "callvault") log(await settle());
          const server = await startServer(name, script, [String(AGENTS), DB]);
          log(`${name} ready`);
          const result = await broadcast(server, new Agents(server.target), sockets, QUICK ? 10 : 20);
          results[name].dps.push(result.deliveriesPerSecond);
          results[name].p99.push(result.p99Ms);
          results[name].cpu.push(result.serverCpuUsPerDelivery);
          await stop(server);
        }
      }
      const c = results.callvault;
      const b = results.bare;
      rows.push(`| broadcast, ${fmt(sockets)} sockets on one recording | ${fmt(median(c.dps))}/s, p99 ${fmt(median(c.p99))} ms, ${fmt(median(c.cpu), 1)} µs CPU/delivery | ${fmt(median(b.dps))}/s, p99 ${fmt(median(b.p99))} ms, ${fmt(median(b.cpu), 1)} µs | ${fmt(median(c.dps) / median(b.dps), 2)} |`);
    }
    for (const sockets of ONLY.has("a") || ONLY.has("selective") ? (QUICK ? [AGENTS] : [AGENTS, 5000]) : []) {
      const sel: Record<string, { dps: number[]; cpu: number[] }> = { callvault: { dps: [], cpu: [] }, bare: { dps: [], cpu: [] } };
      const ratios: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const [callvault, bare] = await selectivePair(sockets, QUICK ? 2000 : 4000, 4);
        for (const [name, result] of [["callvault", callvault], ["bare", bare]] as const) {
          sel[name].dps.push(result.deliveriesPerSecond);
          sel[name].cpu.push(result.serverCpuUsPerDelivery);
        }
        ratios.push(callvault.deliveriesPerSecond / bare.deliveriesPerSecond);
      }
      rows.push(
        `| selective, ${fmt(sockets)} agents each watching their own call | ${fmt(median(sel.callvault.dps))}/s, ${fmt(median(sel.callvault.cpu))} µs CPU/delivery | ${fmt(median(sel.bare.dps))}/s, ${fmt(median(sel.bare.cpu))} µs | ${fmt(median(ratios), 2)}${ratios.length > 1 ? ` (${ratios.map((ratio) => fmt(ratio, 2)).join(", ")})` : ""} |`,
      );
    }
    console.log("(a) fan-out (deliveries/s; server CPU per delivery)\n| measurement | callvault | bare graphql-ws + graphql-js | ratio |\n|---|---|---|---|");
    for (const row of rows) console.log(row);
    console.log();
  }
  if (ONLY.has("b")) {
    const settled = await settle();
    const server = await startServer("callvault", "callvault-server.js", [String(AGENTS), DB]);
    const startAge = DB.startsWith("mysql") ? await checkpointAge(DB) : undefined;
    const result = await latency(server, new Agents(server.target), 200, QUICK ? 5 : 10);
    const endAge = DB.startsWith("mysql") ? await checkpointAge(DB) : undefined;
    await stop(server);
    console.log(`(b) pause→CHANGE at 200 ops/s, 1,000 agents subscribed (open loop, ${result.operations} ops): p50 ${fmt(result.p50Ms, 1)} ms, p99 ${fmt(result.p99Ms, 1)} ms, max ${fmt(result.maxMs, 1)} ms; delivered ${result.delivered}/${result.operations}, missing ${result.missing}, out of order ${result.outOfOrder} (goal: p99 ≤ 50 ms, none missing)`);
    console.log(`    the server during the run: longest event-loop delay ${fmt(result.loopDelayMaxMs, 1)} ms, longest garbage collection ${fmt(result.longestGcMs, 1)} ms`);
    if (startAge && endAge) console.log(`    ${settled ? `${settled}; ` : ""}during the run ${fmt(startAge.ageMb)} → ${fmt(endAge.ageMb)} MB`);
    console.log();
  }
  if (ONLY.has("c")) {
    const clients = DB.startsWith("mysql") ? 16 : 64;
    const seconds = QUICK ? 4 : 8;
    const runs: Record<string, PairsRun[]> = { unchained: [], sequenced: [], chained: [], none: [], idle: [], busy: [], bareNone: [], bareIdle: [], bareBusy: [] };
    const pairsPerSecond = (label: string) => median(runs[label].map((run) => run.pairsPerSecond));
    /** Each process's median CPU per pair over the label's runs. */
    const budget = (label: string): PairsRun => {
      const cpuUsPerPair: Record<string, number | undefined> = {};
      for (const who of Object.keys(runs[label][0].cpuUsPerPair)) {
        const values = runs[label].map((run) => run.cpuUsPerPair[who]).filter((us): us is number => us !== undefined);
        cpuUsPerPair[who] = values.length > 0 ? median(values) : undefined;
      }
      return { pairsPerSecond: pairsPerSecond(label), cpuUsPerPair };
    };
    // One more repeat than (a): the pairs/s ratios are the ones this VM's drift moves most.
    for (let r = 0; r < (QUICK ? 1 : repeats + 1); r++) {
      for (const mode of ["unchained", "sequenced", "chained"] as const) {
        log(await settle());
        runs[mode].push(await raw(clients, seconds, mode));
      }
      // The floor of any GraphQL-over-HTTP server here: the bare one, no database, same load generator.
      for (const [label, watchers] of [["bareNone", "none"], ["bareIdle", "idle"], ["bareBusy", "busy"]] as const) {
        const bare = await startServer("bare", "reference-server.js", [String(AGENTS), DB]);
        runs[label].push(await throughput(bare, new Agents(bare.target), clients, seconds, watchers));
        await stop(bare);
      }
      for (const watchers of ["none", "idle", "busy"] as const) {
        log(await settle());
        const server = await startServer("callvault", "callvault-server.js", [String(AGENTS), DB]);
        runs[watchers].push(await throughput(server, new Agents(server.target), clients, seconds, watchers));
        await stop(server);
      }
    }
    const [u, sq, c] = [pairsPerSecond("unchained"), pairsPerSecond("sequenced"), pairsPerSecond("chained")];
    console.log(
      `(c) pause+resume pairs/s, ${clients} clients, against the raw driver making callvault's writes (S: the entry inserted unchained, then chained by a sequencer as callvault's), fewer writes (U: the entry never chained) and the issue's reference (C: the entry chained in the transaction): S ${fmt(sq)}, U ${fmt(u)}, C ${fmt(c)} pairs/s`,
    );
    console.log(`| watchers | callvault | ratio to S | to U | to C | bare server (no database, no auth) | its ratio to S |\n|---|---|---|---|---|---|---|`);
    for (const [label, mine, bare] of [
      ["none", "none", "bareNone"],
      [`${fmt(WATCHERS)} on other agents' calls (no event of the run is theirs)`, "idle", "bareIdle"],
      [`${fmt(WATCHERS)}, five on each agent's call (each event to five sockets)`, "busy", "bareBusy"],
    ] as const) {
      const pairs = pairsPerSecond(mine);
      console.log(`| ${label} | ${fmt(pairs)} | ${fmt(pairs / sq, 2)} | ${fmt(pairs / u, 2)} | ${fmt(pairs / c, 2)} | ${fmt(pairsPerSecond(bare))} | ${fmt(pairsPerSecond(bare) / sq, 2)} |`);
    }
    // Repeats are interleaved, so each repeat's ratio compares runs minutes apart; this VM's speed drifts more than that.
    const perRepeat = runs.none.map((run, i) => fmt(run.pairsPerSecond / runs.sequenced[i].pairsPerSecond, 2));
    console.log(`\nNo watchers against S, repeat by repeat: ${perRepeat.join(", ")}.`);
    // Two cores serve every process of a run: where each pair's CPU went says what stands between the ratios and 1.
    const [sBudget, mine, bare] = [budget("sequenced"), budget("none"), budget("bareNone")];
    console.log(`CPU per pair (medians; all processes share the 2 cores): S ${cpuPerPair(sBudget)}; callvault with no watchers ${cpuPerPair(mine)}; the bare server ${cpuPerPair(bare)}.`);
    const total = (run: PairsRun) => Object.values(run.cpuUsPerPair).reduce<number>((sum, us) => sum + (us ?? 0), 0);
    if (sBudget.cpuUsPerPair.database !== undefined) {
      // CPU-bound, pairs/s is the cores over the CPU per pair: what any server on HTTP + GraphQL could reach here.
      const floor = total(bare) - (bare.cpuUsPerPair.database ?? 0) + sBudget.cpuUsPerPair.database;
      console.log(
        `A server that spent nothing beyond the bare server's HTTP + GraphQL and MariaDB's CPU for S's writes would need ${fmt(floor)} µs per pair: ` +
          `${fmt(total(sBudget) / floor, 2)} of S, CPU-bound. callvault's server spends ${fmt(mine.cpuUsPerPair.server! - bare.cpuUsPerPair.server!)} µs per pair more than the bare server.`,
      );
    }
    const share = (label: string, base: string) => fmt(pairsPerSecond(label) / pairsPerSecond(base), 2);
    console.log(`\nAs a share of pairs/s with no watchers: callvault ${share("idle", "none")} with ${fmt(WATCHERS)} idle, ${share("busy", "none")} with ${fmt(WATCHERS)} receiving; the bare server ${share("bareIdle", "bareNone")} and ${share("bareBusy", "bareNone")}.`);
    // Each repeat runs none, idle and busy back to back: their ratio within a repeat is spared the VM's drift between repeats.
    const byRepeat = (label: string, base: string) => runs[label].map((run, i) => fmt(run.pairsPerSecond / runs[base][i].pairsPerSecond, 2)).join(", ");
    console.log(`The same, repeat by repeat: callvault idle ${byRepeat("idle", "none")}, busy ${byRepeat("busy", "none")}; the bare server idle ${byRepeat("bareIdle", "bareNone")}, busy ${byRepeat("bareBusy", "bareNone")}.`);
    console.log();
  }
  if (ONLY.has("d")) {
    const clients = DB.startsWith("mysql") ? 16 : 64;
    const seconds = QUICK ? 4 : 8;
    const runs: Record<"callvault" | "bare", PairsRun[][]> = { callvault: [], bare: [] };
    for (let r = 0; r < (QUICK ? 1 : 3); r++) {
      const servers = [await startServer("callvault", "callvault-server.js", [String(AGENTS), DB]), await startServer("bare", "reference-server.js", [String(AGENTS), DB])];
      const [callvault, bare] = await growthPair(servers, clients, seconds);
      runs.callvault.push(callvault);
      runs.bare.push(bare);
      for (const server of servers) await stop(server);
    }
    /** A step's pairs/s against the mean of the same repeat's two runs without watchers (before and after). */
    const shares = (name: "callvault" | "bare", step: number) =>
      runs[name].map((repeat) => repeat[step].pairsPerSecond / ((repeat[0].pairsPerSecond + repeat[GROWTH_STEPS.length - 1].pairsPerSecond) / 2));
    const cell = (name: "callvault" | "bare", step: number) => {
      const pairs = median(runs[name].map((repeat) => repeat[step].pairsPerSecond));
      const cpu = median(runs[name].map((repeat) => repeat[step].cpuUsPerPair.server!));
      return `${fmt(pairs)} (${fmt(cpu)} µs) | ${fmt(median(shares(name, step)), 2)} (${shares(name, step).map((share) => fmt(share, 2)).join(", ")})`;
    };
    /** callvault's share over the bare server's, repeat by repeat: what watchers cost callvault beyond what they cost a bare server measured beside it. */
    const relative = (step: number) => shares("callvault", step).map((share, r) => share / shares("bare", step)[r]);
    console.log(
      `(d) one running server while idle watchers arrive (${clients} clients; pairs/s and the server's CPU per pair, medians of ${runs.callvault.length}; ` +
        `share: against the mean of the same repeat's runs before any watcher came and after all left, by repeat in brackets; callvault and the bare server measured alternately at every step)`,
    );
    console.log(`| watchers of calls the run does not touch | callvault | share | bare server | share | callvault's share ÷ bare's |\n|---|---|---|---|---|---|`);
    GROWTH_STEPS.forEach(({ label }, step) =>
      console.log(`| ${label} | ${cell("callvault", step)} | ${cell("bare", step)} | ${fmt(median(relative(step)), 2)} (${relative(step).map((x) => fmt(x, 2)).join(", ")}) |`),
    );
  }
}

void main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
