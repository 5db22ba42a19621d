import fs from "node:fs";
import { Session } from "node:inspector";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import path from "node:path";
import type { ServerMessage } from "./protocol";

/**
 * Answers the generator's "cpu" message with this process's CPU time, the time its garbage collections took so
 * far, its heap in use, the server's own `counters`, and, since the previous message, its longest collection and longest event-loop delay.
 * The generator asks at the start and at the end of each measured window; with BENCH_PROFILE_DIR set, a V8 CPU
 * profile covers exactly those windows (not the seeding of users and calls before them), one file per window.
 */
export function answerCpuRequests(name: string, counters?: () => Record<string, number> | undefined): void {
  const dir = process.env.BENCH_PROFILE_DIR;
  const session = dir ? new Session() : undefined;
  let profiling = false;
  let window = 0;
  let gcMs = 0;
  let longestGcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      longestGcMs = Math.max(longestGcMs, entry.duration);
    }
  }).observe({ entryTypes: ["gc"] });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  if (session) {
    session.connect();
    session.post("Profiler.enable");
  }
  process.on("message", (message: string) => {
    if (message !== "cpu") return;
    const usage = process.cpuUsage();
    const heapUsedMb = process.memoryUsage().heapUsed / 2 ** 20;
    process.send!({ kind: "cpu", userMs: usage.user / 1000, systemMs: usage.system / 1000, gcMs, heapUsedMb, longestGcMs, loopDelayMaxMs: loopDelay.max / 1e6, counters: counters?.() } satisfies ServerMessage);
    longestGcMs = 0;
    loopDelay.reset();
    if (!session) return;
    if (!profiling) session.post("Profiler.start");
    else
      session.post("Profiler.stop", (error, result) => {
        if (!error) fs.writeFileSync(path.join(dir as string, `${name}-${process.pid}-${++window}.cpuprofile`), JSON.stringify(result.profile));
      });
    profiling = !profiling;
  });
}
