import { readFileSync } from "node:fs";

/** Linux's clock tick for /proc times (getconf CLK_TCK); 100 on every common kernel. */
const TICK_MS = 10;

/**
 * CPU milliseconds of this process's main thread (the event loop), from /proc: process.cpuUsage covers every
 * thread, so the event loop's own share — what the loop-delay criterion depends on — needs the kernel's
 * per-thread accounting. Undefined where /proc is not there. 10 ms resolution: read it over seconds.
 */
export function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the line.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}
