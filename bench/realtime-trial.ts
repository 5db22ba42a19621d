import { setTimeout as sleep } from "node:timers/promises";
import { ObjectStore } from "../src/storage/object-store";
import { CallCorpus, FRAME_MS } from "./call-corpus";
import { SimulatedCall } from "./simulated-call";

export interface TrialResult {
  calls: number;
  p50LagMs: number;
  p99LagMs: number;
  maxLagMs: number;
  /** CPU time of this process over wall time (1.0 = one core fully busy). */
  cpuShare: number;
  rssMb: number;
  /** Mean lag over the last quarter of the trial minus that over the second quarter: a growing backlog. */
  lagGrowthMs: number;
  keptUp: boolean;
}

/**
 * Keeping up means no growing backlog, and jitter (GC pauses, bursts) well inside the mixer's 200 ms
 * hold-back. A process short of CPU by even a few percent shows a backlog growing for the whole trial.
 */
const ACCEPTABLE_P99_LAG_MS = 100;
const ACCEPTABLE_LAG_GROWTH_MS = 20;
const WARM_UP_MS = 2000;

/**
 * Plays `calls` concurrent calls in real time: frame k of each call becomes due (k + 1) × 20 ms after
 * the call's start, calls staggered across one frame. Lag is how late each frame was handled.
 */
export async function runRealtimeTrial(store: ObjectStore, corpus: CallCorpus, calls: number, trialId: string): Promise<TrialResult> {
  const simulated = await Promise.all(Array.from({ length: calls }, (_, i) => SimulatedCall.start(store, `${trialId}-${i}`)));
  const offsets = simulated.map((_, i) => (i * FRAME_MS) / calls);
  const nextFrame = simulated.map(() => 0);
  const lags: { dueAt: number; lag: number }[] = [];
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let remaining = calls;
  while (remaining > 0) {
    for (let i = 0; i < calls; i++) {
      while (nextFrame[i] < corpus.frames) {
        const dueAt = offsets[i] + (nextFrame[i] + 1) * FRAME_MS;
        if (performance.now() - start < dueAt) break;
        const [inbound, outbound] = corpus.messages[nextFrame[i]];
        simulated[i].receive(inbound);
        simulated[i].receive(outbound);
        if (dueAt >= WARM_UP_MS) lags.push({ dueAt, lag: performance.now() - start - dueAt });
        if (++nextFrame[i] === corpus.frames) remaining--;
      }
    }
    // Yield so storage writes (libuv) and timers run, as a real WebSocket server's loop would.
    await sleep(1);
  }
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const rssMb = process.memoryUsage().rss / 1e6;
  await Promise.all(simulated.map((call) => call.end()));
  for await (const object of store.list(`bench/${trialId}-`)) await store.delete(object.key);

  const trialMs = corpus.frames * FRAME_MS;
  const meanLag = (from: number, to: number) => mean(lags.filter((l) => l.dueAt >= from * trialMs && l.dueAt < to * trialMs).map((l) => l.lag));
  const lagGrowthMs = meanLag(0.75, 1) - meanLag(0.25, 0.5);
  const sorted = lags.map((l) => l.lag).sort((a, b) => a - b);
  const percentile = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  const p99LagMs = percentile(0.99);
  return {
    calls,
    p50LagMs: percentile(0.5),
    p99LagMs,
    maxLagMs: sorted[sorted.length - 1] ?? 0,
    cpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
    rssMb,
    lagGrowthMs,
    keptUp: p99LagMs <= ACCEPTABLE_P99_LAG_MS && lagGrowthMs <= ACCEPTABLE_LAG_GROWTH_MS,
  };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}
