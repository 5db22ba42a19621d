import path from "node:path";
import { DataSource, LessThan } from "typeorm";
import { WebSocket, WebSocketServer } from "ws";
import { AuditResolver } from "./audit/audit.resolver";
import { AuditService } from "./audit/audit.service";
import { Authenticator } from "./auth/authenticator";
import { TokenService } from "./auth/token.service";
import { CallResolver } from "./calls/call.resolver";
import { CallService } from "./calls/call.service";
import { Config, DEFAULT_OPERATIONS } from "./config/config";
import { CustomerResolver } from "./customers/customer.resolver";
import { CustomerService } from "./customers/customer.service";
import { openDataSource } from "./database/data-source";
import { TransactionRunner } from "./database/transaction";
import { mountDownloadRoutes } from "./downloads/download.route";
import { DownloadResolver } from "./downloads/download.resolver";
import { DownloadService } from "./downloads/download.service";
import { serverOrigin } from "./downloads/server-origin";
import type { EventBus } from "./events/event-bus";
import { InMemoryEventBus } from "./events/in-memory-event-bus";
import { RedisEventBus } from "./events/redis-event-bus";
import { buildCallvaultSchema, ResolverContainer } from "./graphql/schema";
import { GRAPHQL_PATH, RunningHttpServer, startHttpServer, UpgradeRoute } from "./http/server";
import { IngestAuthenticator, IngestPrincipal } from "./ingest/ingest-auth";
import { MediaSessionRegistry } from "./ingest/media-session-registry";
import { MediaStreamAdmission } from "./ingest/media-stream-admission";
import { auditPauseLeaks } from "./ingest/pause-leak-auditor";
import { TwilioMediaStream } from "./ingest/twilio-media-stream";
import { loadMasterKey } from "./recording-media/master-key-file";
import { MediaSweeper } from "./recording-media/media-sweeper";
import { RecordingMediaService } from "./recording-media/recording-media.service";
import { FilesystemObjectStore } from "./storage/filesystem-object-store";
import { RecordingControlService } from "./recordings/recording-control.service";
import { RecordingDeletionService } from "./recordings/recording-deletion.service";
import { Mp3Redactor } from "./redaction/mp3-redactor";
import { RecordingRedactionService } from "./redaction/recording-redaction.service";
import { RedactionResolver } from "./redaction/redaction.resolver";
import { RecordingEventPublisher } from "./recordings/recording-events";
import { RecordingLifecycleService } from "./recordings/recording-lifecycle.service";
import { RecordingQueryService } from "./recordings/recording-query.service";
import { RecordingStreamService } from "./recordings/recording-stream.service";
import { RecordingSubscriptionResolver } from "./recordings/recording-subscription.resolver";
import { RecordingResolver } from "./recordings/recording.resolver";
import { seedDemoData } from "./seed/demo-seed";
import { TimelineStreamService } from "./timeline/timeline-stream.service";
import { TimelineResolver } from "./timeline/timeline.resolver";
import { TimelineService } from "./timeline/timeline.service";
import { UserResolver } from "./users/user.resolver";
import { UserService } from "./users/user.service";
import { createLogger, Log, Logger, logTo, rootLog, setRootLogger } from "./logging/logger";
import type { LeakListener, PauseLeak } from "./ingest/live-media-session";
import { Metrics } from "./metrics/metrics";
import { mountMetricsRoute } from "./metrics/metrics.route";
import { MediaStatus, RecordingMediaEntity } from "./recording-media/recording-media.entity";
import { RecordingState } from "./recordings/recording-state";

export interface Services {
  dataSource: DataSource;
  media: RecordingMediaService;
  sessions: MediaSessionRegistry;
  sweeper: MediaSweeper;
  transactions: TransactionRunner;
  bus: EventBus;
  audit: AuditService;
  users: UserService;
  customers: CustomerService;
  calls: CallService;
  control: RecordingControlService;
  deletion: RecordingDeletionService;
  redaction: RecordingRedactionService;
  lifecycle: RecordingLifecycleService;
  recordings: RecordingQueryService;
  timeline: TimelineService;
  tokens: TokenService;
  downloads: DownloadService;
}

export interface App {
  config: Config;
  services: Services;
  server: RunningHttpServer;
  close(): Promise<void>;
}

export interface AppOptions {
  /** Told of every late pause's leaked audio (besides the audit entry); the metrics count it. */
  onPauseLeak?: (leak: PauseLeak) => void;
  /** Where log lines go; by default the JSON logger below. */
  log?: Log;
  /** The JSON logger (pino) at LOG_LEVEL on stdout unless given. */
  logger?: Logger;
  /** How long an ingest may go without a heartbeat before the sweeper treats it as dead. */
  mediaStaleAfterMs?: number;
  /** Bind address; tests use 127.0.0.1. */
  host?: string;
}

export const MEDIA_STREAM_PATH = "/media";
/** Twilio sends 20 ms frames (~300 bytes of JSON) and a `start` of a few hundred; anything near this is not a media stream. */
const MAX_MEDIA_MESSAGE_BYTES = 8 * 1024;
const DEFAULT_INGEST_STALE_MS = 60_000;
const SWEEP_INTERVAL_MS = 60_000;


/** Opens the database (applying migrations) and wires every service. Used by the server and the CLIs. */
export async function createServices(config: Config, options: Pick<AppOptions, "mediaStaleAfterMs" | "log" | "onPauseLeak"> = {}): Promise<Services> {
  const dataSource = await openDataSource(config.database);
  try {
    await dataSource.runMigrations({ transaction: "each" });
    const transactions = new TransactionRunner(dataSource);
    const audit = new AuditService(dataSource);
    await audit.ensureHead();
    const bus: EventBus = config.redisUrl ? await RedisEventBus.connect(config.redisUrl) : new InMemoryEventBus();
    const publisher = new RecordingEventPublisher(bus);
    const users = new UserService(dataSource, transactions, audit, bus);
    const customers = new CustomerService(dataSource, transactions, audit);
    const lifecycle = new RecordingLifecycleService(transactions, publisher);
    const recordings = new RecordingQueryService(dataSource, users);
    const media = new RecordingMediaService(dataSource, new FilesystemObjectStore(path.join(config.dataDir, "media")), loadMasterKey(config.media.masterKey, config.dataDir));
    const sessions = new MediaSessionRegistry(
      bus,
      media,
      recordings,
      lifecycle,
      config.media.pauseBehavior,
      withLeakListener(auditPauseLeaks(transactions, audit, options.log ?? rootLog), options.onPauseLeak),
    );
    await sessions.start();
    const sweeper = new MediaSweeper(dataSource, media, lifecycle, {
      staleAfterMs: options.mediaStaleAfterMs ?? DEFAULT_INGEST_STALE_MS,
      isLiveHere: (recordingId) => sessions.has(recordingId),
      singleInstance: !config.redisUrl,
      settle: (recordingId) => sessions.settleIfEnded(recordingId),
    });
    return {
      dataSource,
      media,
      sessions,
      sweeper,
      transactions,
      bus,
      audit,
      users,
      customers,
      lifecycle,
      recordings,
      calls: new CallService(dataSource, transactions, users, customers, audit, publisher, sessions),
      control: new RecordingControlService(transactions, users, audit, publisher),
      deletion: new RecordingDeletionService(transactions, audit, publisher, media),
      redaction: new RecordingRedactionService(transactions, audit, publisher, media, recordings, new Mp3Redactor()),
      timeline: new TimelineService(dataSource, customers, recordings),
      tokens: TokenService.create(config.jwt, config.dataDir, (config.operations ?? DEFAULT_OPERATIONS).tokenMaxAgeSeconds),
      downloads: new DownloadService(dataSource, transactions, audit, users, recordings, media, {
        publicUrl: config.media.publicUrl,
        ttlSeconds: config.media.downloadUrlTtlSeconds,
      }),
    };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

export async function closeServices(services: Services): Promise<void> {
  await services.sessions.closeAll();
  await services.bus.close();
  if (services.dataSource.isInitialized) await services.dataSource.destroy();
}

/** The composition root: config → data source → services → resolvers → servers. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const operations = config.operations ?? DEFAULT_OPERATIONS;
  const logger = options.logger ?? (options.log ? undefined : createLogger(operations.logLevel));
  if (logger) setRootLogger(logger);
  const log = options.log ?? logTo(logger as Logger);
  let server: RunningHttpServer | undefined;
  const metrics: Metrics = new Metrics({
    liveCalls: () => services.sessions.size,
    subscriptionConnections: () => server?.connections(GRAPHQL_PATH) ?? 0,
    sweeperBacklog: () => staleIngests(services.dataSource, options.mediaStaleAfterMs ?? DEFAULT_INGEST_STALE_MS),
  });
  const services = await createServices(config, { ...options, log, onPauseLeak: (leak) => metrics.leakedPausedMs.inc(leak.leakedMs) });
  const admission = new MediaStreamAdmission(operations.ingest);
  let sweepTimer: NodeJS.Timeout | undefined;
  try {
    await services.sweeper.sweep({ atStartup: true });
    sweepTimer = setInterval(() => void services.sweeper.sweep().catch((error) => log("media sweep failed", error)), SWEEP_INTERVAL_MS);
    sweepTimer.unref();
    if (config.seedDemo && (await services.users.list()).length === 0) {
      await seedDemoData(services);
      log("seeded demo data (users, customers, past calls and one live call)");
    }
    const container = new ResolverContainer()
      .register(new UserResolver(services.users))
      .register(new CustomerResolver(services.customers))
      .register(new CallResolver(services.calls))
      .register(new RecordingResolver(services.recordings, services.control, services.deletion, services.users))
      .register(new RedactionResolver(services.redaction))
      .register(new RecordingSubscriptionResolver())
      .register(new TimelineResolver(services.timeline))
      .register(new AuditResolver(services.audit))
      .register(new DownloadResolver(services.downloads));
    const schema = await buildCallvaultSchema(container);
    const authenticator = new Authenticator(services.tokens, services.users);
    void observePauseLatency(services.bus, metrics);
    server = await startHttpServer({
      port: config.port,
      host: options.host,
      schema,
      authenticator,
      streams: {
        recordings: new RecordingStreamService(services.bus, services.recordings, services.users),
        timeline: new TimelineStreamService(services.bus, services.customers, services.recordings),
      },
      production: config.nodeEnv === "production",
      log,
      health: async () => {
        await services.dataSource.query("SELECT 1");
      },
      routes: (app) => {
        mountDownloadRoutes(app, services.downloads, log, (bytes) => metrics.downloadBytes.inc(bytes));
        mountMetricsRoute(app, metrics, operations.metricsToken);
      },
      webSockets: {
        [MEDIA_STREAM_PATH]: mediaStreamRoute(
          {
            registry: services.sessions,
            calls: services.calls,
            recordings: services.recordings,
            admission,
            limits: operations.ingest,
            log,
            observer: { frame: (verdict) => metrics.mediaFrames.inc({ verdict }), closed: (code) => metrics.mediaStreamsClosed.inc({ code: String(code) }) },
          },
          new IngestAuthenticator(authenticator, config.media.twilioAuthToken, config.media.publicUrl),
        ),
      },
    });
    // Links point at this server until PUBLIC_URL says otherwise; the port is known only now (0 in tests).
    services.downloads.listeningAt(serverOrigin(options.host, server.port));
    const running = server;
    return {
      config,
      services,
      server: running,
      /** Stop accepting, finish live media (MP3 committed, recordings settled), close sockets, then Redis and the database. */
      async close() {
        clearInterval(sweepTimer);
        running.stopAccepting();
        await admission.shutdown();
        await running.close();
        await closeServices(services);
      },
    };
  } catch (error) {
    clearInterval(sweepTimer);
    await closeServices(services);
    throw error;
  }
}

function mediaStreamRoute(deps: ConstructorParameters<typeof TwilioMediaStream>[2], ingestAuth: IngestAuthenticator): UpgradeRoute {
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_MEDIA_MESSAGE_BYTES });
  server.on("connection", (socket: WebSocket, _request: unknown, principal: IngestPrincipal) => {
    new TwilioMediaStream(socket, principal, deps);
  });
  return { server, authorize: (request) => ingestAuth.authorize(request) };
}

function withLeakListener(audited: LeakListener, also: ((leak: PauseLeak) => void) | undefined): LeakListener {
  return (leak) => {
    audited(leak);
    also?.(leak);
  };
}

/** Ingests whose heartbeat stopped longer ago than the sweeper's threshold: work the sweeper has not done yet. */
function staleIngests(dataSource: DataSource, staleAfterMs: number): Promise<number> {
  return dataSource.getRepository(RecordingMediaEntity).countBy({ status: MediaStatus.WRITING, updatedAt: LessThan(new Date(Date.now() - staleAfterMs)) });
}

/** Pause → event on this instance: how long a pause takes to reach every cutter and subscriber. */
async function observePauseLatency(bus: EventBus, metrics: Metrics): Promise<void> {
  for await (const event of await bus.subscribe("RECORDING_STATE_CHANGED")) {
    if (event.state === RecordingState.PAUSED) metrics.pauseToEvent.observe(Math.max(0, Date.now() - Date.parse(event.occurredAt)) / 1000);
  }
}
