/**
 * The reported /media attack at its reported scale: 200 sockets of one API user sending junk for 4 s (garbage,
 * and "media" whose timestamps jump 4.9 s a frame), from their own process, next to one real call streamed in
 * real time on the same instance. Prints /health latency, memory and the real call's frames beside the figures
 * of the report. Build and run from the repository root:
 *   npm run build && npx tsc -p bench/tsconfig.json && node dist/bench/media-abuse.js [sockets=200] [attackMs=4000]
 */
import "reflect-metadata";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import WebSocket from "ws";
import { createApp } from "../src/app";
import { Role } from "../src/auth/role";
import type { Viewer } from "../src/auth/viewer";
import { loadConfig } from "../src/config/config";
import { SAMPLES_PER_MS } from "../src/media/media-frame";
import { buildTwilioMediaMessage } from "../src/media/twilio-media-message";
import { RecordingState } from "../src/recordings/recording-state";

const REPORTED = { healthSeconds: 126, rssMb: 744, externalMb: 2400 };
const ROOT = path.resolve(__dirname, "../..");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

async function main(): Promise<void> {
  const [sockets = 200, attackMs = 4000] = process.argv.slice(2).map(Number);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "callvault-abuse-"));
  const config = loadConfig({ NODE_ENV: "development", PORT: "0", DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString("hex"), SEED_DEMO: "false", LOG_LEVEL: "warn" });
  const app = await createApp(config, { host: "127.0.0.1" });
  const { services } = app;
  const user = async (email: string, roles: Role[]) => (await services.users.loadViewer((await services.users.create(undefined, "bench", { email, displayName: email, roles })).id)) as Viewer;
  const gateway = await user("gateway@bench.test", [Role.API_USER]);
  const attacker = await user("attacker@bench.test", [Role.API_USER]);
  const customer = await services.customers.create(gateway, "bench", "Bench customer");
  const call = async (n: number) => services.calls.start(gateway, "bench", { customerId: customer.id, agentRef: (await user(`agent-${n}@bench.test`, [Role.AGENT])).userId });
  const jumpy = await Promise.all(Array.from({ length: 10 }, (_, n) => call(n)));
  const real = await call(99);
  const base = `ws://127.0.0.1:${app.server.port}/media`;
  const health = `http://127.0.0.1:${app.server.port}/health`;

  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  let externalPeak = 0;
  const sampler = setInterval(() => {
    const memory = process.memoryUsage();
    rssPeak = Math.max(rssPeak, memory.rss);
    externalPeak = Math.max(externalPeak, memory.external + memory.arrayBuffers);
  }, 50);
  // Node's first fetch loads its HTTP client (undici): that is the prober's cost, not the server's answer time.
  await fetch(health);
  const healthTimes: number[] = [];
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const startedAt = performance.now();
      await fetch(health).catch(() => undefined);
      healthTimes.push(performance.now() - startedAt);
      if (process.env.BENCH_TRACE && performance.now() - startedAt > 50) console.log(`slow probe #${healthTimes.length}: ${(performance.now() - startedAt).toFixed(0)} ms`);
      await sleep(50);
    }
  })();

  const attackStartedAt = Date.now();
  const attack = promisify(execFile)(process.execPath, [path.join(ROOT, "test/support/junk-sockets.mjs"), base, await services.tokens.mint(attacker.userId), String(sockets), String(attackMs), jumpy.map((j) => j.call.id).join(",")]);
  // The real call: both tracks, a frame pair every 20 ms, for the attack's duration.
  const socket = new WebSocket(base, { headers: { authorization: `Bearer ${await services.tokens.mint(gateway.userId)}` } });
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
  socket.send(JSON.stringify({ event: "start", streamSid: "MZreal", start: { callSid: "CAreal", customParameters: { callId: real.call.id } } }));
  const frames = attackMs / 20;
  const mulaw = new Uint8Array(20 * SAMPLES_PER_MS).fill(0x7f);
  const startedAt = Date.now();
  for (let sent = 0; sent < frames; ) {
    const due = Math.min(frames, Math.floor((Date.now() - startedAt) / 20) + 1);
    for (; sent < due; sent++) {
      for (const track of ["inbound", "outbound"] as const) socket.send(JSON.stringify(buildTwilioMediaMessage({ track, timestampMs: sent * 20, mulaw }, "MZreal", sent)));
    }
    await sleep(5);
  }
  socket.send(JSON.stringify({ event: "stop", streamSid: "MZreal" }));
  const closeCode = await closed;
  const { stdout } = await attack;
  probing = false;
  await prober;
  clearInterval(sampler);
  const elapsedMs = Date.now() - attackStartedAt;

  await services.calls.end(gateway, "bench", real.call.id);
  const recording = await services.recordings.find(real.recording.id);
  let jumpyMaxMs = 0;
  for (const j of jumpy) {
    await services.calls.end(gateway, "bench", j.call.id);
    jumpyMaxMs = Math.max(jumpyMaxMs, (await services.recordings.find(j.recording.id))?.durationMs ?? 0);
  }
  const sorted = [...healthTimes].sort((a, b) => a - b);
  console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`${sockets} junk sockets for ${attackMs} ms (attacker: ${stdout.trim()})`);
  console.log(`                      this build                         reported`);
  console.log(`/health              p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms (${sorted.length} probes)   answered after ${REPORTED.healthSeconds} s`);
  console.log(`RSS growth / peak    ${((rssPeak - rssBefore) / 2 ** 20).toFixed(0)} MB / ${(rssPeak / 2 ** 20).toFixed(0)} MB                      ${REPORTED.rssMb} MB`);
  console.log(`external + buffers   ${(externalPeak / 2 ** 20).toFixed(0)} MB                                  ${REPORTED.externalMb} MB`);
  console.log(`real call            closed ${closeCode}, ${recording?.state}, ${recording?.durationMs} ms of ${attackMs} ms`);
  console.log(`jumping calls        longest ${jumpyMaxMs} ms recorded in ${elapsedMs} ms of wall time      81 min in 5.6 s`);
  await app.close();
  await fs.rm(dataDir, { recursive: true, force: true });
  if (recording?.state !== RecordingState.AVAILABLE) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
