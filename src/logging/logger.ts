import pino, { DestinationStream, Logger } from "pino";
import type { LogLevel } from "../config/config";
import { describeBriefly, severityOf } from "./severity";

export type { Logger };

/** What components log through: a message, optionally the error it is about and fields such as a request id. */
export type Log = (message: string, error?: unknown, fields?: Record<string, unknown>) => void;

/** JSON lines (level, time, msg, fields) on stdout, or on `destination` (tests capture it). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "callvault" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** Expected errors (hang-ups, refusals) are logged quietly and without a stack; faults at error with one. */
export function logTo(logger: Logger): Log {
  return (message, error, fields = {}) => {
    if (error === undefined) return logger.info(fields, message);
    const severity = severityOf(error);
    if (severity === "error") logger.error({ ...fields, err: error }, message);
    else logger[severity]({ ...fields, reason: describeBriefly(error) }, message);
  };
}

let root: Logger | undefined;

/** The process's logger, for the few places no component hands one to (the composition root sets it). */
export function rootLogger(): Logger {
  root ??= createLogger("info");
  return root;
}

export function setRootLogger(logger: Logger): void {
  root = logger;
}

/** Logs through whatever the root logger is when called. */
export const rootLog: Log = (message, error, fields) => logTo(rootLogger())(message, error, fields);
