import { readdirSync, readFileSync } from "node:fs";

/** Linux's clock tick for /proc times (getconf CLK_TCK); 100 on every common kernel. */
const TICK_MS = 10;

/**
 * CPU milliseconds of this process's main thread (the event loop), from /proc: process.cpuUsage covers every
 * thread, so the event loop's own share — what the loop-delay criterion depends on — needs the kernel's
 * per-thread accounting. Undefined where /proc is not there. 10 ms resolution: read it over seconds.
 */
export function mainThreadCpuMs(): number | undefined {
  return statCpuMs(`/proc/self/task/${process.pid}/stat`);
}

/** CPU milliseconds of a whole process (every thread), from /proc; undefined where it is not there. */
export function processCpuMs(pid: number): number | undefined {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** The pid of the local MariaDB (or MySQL) server, for its CPU per operation; undefined when none runs here. */
export function databaseServerPid(): number | undefined {
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const comm = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
      if (comm === "mariadbd" || comm === "mysqld") return Number(entry);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function statCpuMs(file: string): number | undefined {
  try {
    const stat = readFileSync(file, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the line.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}
