/**
 * Crash points for the crash-safety tests, which kill the real service at moments no signal from outside
 * can hit reliably. A point fires only when NODE_ENV=test and CALLVAULT_FAULT names it, so production and
 * development never stop here. Reads process.env directly (not Config): this is test plumbing, not a setting.
 */
export type FaultPoint = "crash-after-delete-commit" | "crash-mid-retention-batch" | "media-worker-crash-on-pause";

export function crashPoint(point: FaultPoint): void {
  if (faultArmed(point)) process.kill(process.pid, "SIGKILL");
}

/** For faults that fire elsewhere (a worker thread): whether CALLVAULT_FAULT arms this one. */
export function faultArmed(point: FaultPoint): boolean {
  return process.env.NODE_ENV === "test" && process.env.CALLVAULT_FAULT === point;
}
