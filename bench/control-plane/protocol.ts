/** What a bench server tells the load generator once it listens (over the fork IPC channel). */
export interface BenchTarget {
  url: string;
  wsUrl: string;
  managerToken: string;
  agents: { id: string; token: string; recordingId: string }[];
}

export type ServerMessage = { kind: "ready"; target: BenchTarget } | { kind: "cpu"; userMs: number; systemMs: number; gcMs: number; heapUsedMb: number; longestGcMs: number; loopDelayMaxMs: number; counters?: Record<string, number> };
