import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

const PREFIX = "callvault_";

/** What the metrics read at scrape time, from the components that know it. */
export interface MetricSources {
  liveCalls: () => number;
  subscriptionConnections: () => number;
  /** Rows the media sweeper still has to deal with (e.g. ingests whose heartbeat stopped). */
  sweeperBacklog: () => Promise<number>;
}

/**
 * The Prometheus metrics an operator pages on, in a registry of this app's own (tests run several apps in
 * one process). Node's defaults (event-loop delay, heap, GC) are included under the same prefix.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly mediaFrames = new Counter({
    name: `${PREFIX}media_frames_total`,
    help: "Media frames received, by verdict: accepted, dropped (late or duplicate), rejected (malformed), refused (ahead of the clock or past the maximum length)",
    labelNames: ["verdict"] as const,
    registers: [this.registry],
  });
  readonly mediaStreamsClosed = new Counter({
    name: `${PREFIX}media_streams_closed_total`,
    help: "Media WebSockets closed, by close code",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  readonly pauseToEvent = new Histogram({
    name: `${PREFIX}pause_event_latency_seconds`,
    help: "From a pause's commit (occurredAt) to its event reaching this instance through the event bus",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly downloadBytes = new Counter({
    name: `${PREFIX}download_bytes_total`,
    help: "MP3 bytes sent to downloads",
    registers: [this.registry],
  });
  readonly leakedPausedMs = new Counter({
    name: `${PREFIX}leaked_paused_ms_total`,
    help: "Milliseconds of paused audio that got past the cutter because the pause arrived late (each one is audited)",
    registers: [this.registry],
  });

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    new Gauge({
      name: `${PREFIX}live_calls`,
      help: "Calls whose audio is being recorded on this instance",
      registers: [this.registry],
      collect() {
        this.set(sources.liveCalls());
      },
    });
    new Gauge({
      name: `${PREFIX}subscription_connections`,
      help: "Open GraphQL subscription (graphql-ws) connections on this instance",
      registers: [this.registry],
      collect() {
        this.set(sources.subscriptionConnections());
      },
    });
    new Gauge({
      name: `${PREFIX}sweeper_backlog`,
      help: "Media rows awaiting the sweeper: ingests whose heartbeat stopped",
      registers: [this.registry],
      async collect() {
        this.set(await sources.sweeperBacklog());
      },
    });
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
