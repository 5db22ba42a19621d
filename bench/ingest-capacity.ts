import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FilesystemObjectStore } from "../src/storage/filesystem-object-store";
import { buildCallCorpus } from "./call-corpus";
import { runRealtimeTrial, TrialResult } from "./realtime-trial";
import { measureStageCosts } from "./stage-costs";

function formatTrial(result: TrialResult): string {
  return (
    `  ${String(result.calls).padStart(5)} calls  lag p50 ${result.p50LagMs.toFixed(1).padStart(6)} ms  p99 ${result.p99LagMs.toFixed(1).padStart(7)} ms` +
    `  max ${result.maxLagMs.toFixed(1).padStart(7)} ms  growth ${result.lagGrowthMs.toFixed(1).padStart(7)} ms  cpu ${(result.cpuShare * 100).toFixed(0).padStart(3)}%  rss ${result.rssMb.toFixed(0)} MB` +
    `  load ${os.loadavg()[0].toFixed(1)}  ${result.keptUp ? "keeps up" : "FALLS BEHIND"}`
  );
}

/**
 * (b) How many concurrent real-time calls one Node process ingests: estimate from the per-call CPU
 * cost, then confirm with real-time trials, stepping the call count until processing falls behind.
 */
export async function measureIngestCapacity(trialSeconds: number): Promise<void> {
  const corpus = buildCallCorpus(trialSeconds);
  const costs = await measureStageCosts(buildCallCorpus(30), 6);
  const estimate = Math.floor(1000 / costs.totalMs);
  console.log("\n(b) Ingest cost per call, CPU ms per second of call audio (one thread):");
  console.log(
    `  parse+base64 ${costs.parseMs.toFixed(3)}  mix ${costs.mixMs.toFixed(3)}  cut ${costs.cutMs.toFixed(3)}  ` +
      `mp3 ${costs.encodeMs.toFixed(3)}  encrypt ${costs.encryptMs.toFixed(3)}  total ${costs.totalMs.toFixed(3)}`,
  );
  console.log(`  → at most ~${estimate} calls per fully busy thread before I/O and GC overhead`);

  const root = await fs.mkdtemp(path.join(os.tmpdir(), "callvault-bench-"));
  const store = new FilesystemObjectStore(root);
  try {
    console.log(`\n    Real-time trials, ${trialSeconds} s each (keeps up = p99 lag ≤ 100 ms and no growing backlog):`);
    let calls = Math.max(1, Math.round(estimate * 0.5));
    let best: TrialResult | undefined;
    let worst: TrialResult | undefined;
    // Step up from a safe count until a trial falls behind, or down until one keeps up.
    for (let trial = 0; trial < 12 && !(best && worst) && calls >= 1; trial++) {
      const result = await runRealtimeTrial(store, corpus, calls, `t${trial}`);
      console.log(formatTrial(result));
      if (result.keptUp) best = result;
      else worst = result;
      calls = result.keptUp ? Math.round(calls * 1.25) : Math.floor(calls * 0.75);
    }
    if (best && worst) {
      // Narrow the step between the last good and first bad count.
      let low = best.calls;
      let high = worst.calls;
      for (let trial = 0; high - low > Math.max(2, low * 0.03) && trial < 4; trial++) {
        const middle = Math.round((low + high) / 2);
        const result = await runRealtimeTrial(store, corpus, middle, `m${trial}`);
        console.log(formatTrial(result));
        if (result.keptUp) low = middle;
        else high = middle;
      }
      console.log(`  → one process keeps up with ${low} concurrent calls (falls behind at ${high})`);
    }
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}
