import fs from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";
import type { ServerMessage } from "./protocol";

/**
 * Answers the generator's "cpu" message with this process's CPU time. The generator asks at the start and at
 * the end of each measured window; with BENCH_PROFILE_DIR set, a V8 CPU profile covers exactly those windows
 * (not the seeding of users and calls before them), one file per window.
 */
export function answerCpuRequests(name: string): void {
  const dir = process.env.BENCH_PROFILE_DIR;
  const session = dir ? new Session() : undefined;
  let profiling = false;
  let window = 0;
  if (session) {
    session.connect();
    session.post("Profiler.enable");
  }
  process.on("message", (message: string) => {
    if (message !== "cpu") return;
    const usage = process.cpuUsage();
    process.send!({ kind: "cpu", userMs: usage.user / 1000, systemMs: usage.system / 1000 } satisfies ServerMessage);
    if (!session) return;
    if (!profiling) session.post("Profiler.start");
    else
      session.post("Profiler.stop", (error, result) => {
        if (!error) fs.writeFileSync(path.join(dir as string, `${name}-${process.pid}-${++window}.cpuprofile`), JSON.stringify(result.profile));
      });
    profiling = !profiling;
  });
}
