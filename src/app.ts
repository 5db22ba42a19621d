import { randomUUID } from "node:crypto";
import path from "node:path";
import { DataSource, LessThan } from "typeorm";
import { WebSocket, WebSocketServer } from "ws";
import { AuditCheckpointResolver } from "./audit/audit-checkpoint.resolver";
import { AuditCheckpointService } from "./audit/audit-checkpoint.service";
import { AuditChainWalker } from "./audit/audit-chain-walker";
import { AuditCheckpointSigner } from "./audit/audit-checkpoint-signer";
import { mountAuditExportRoute } from "./audit/audit-export.route";
import { AuditResolver } from "./audit/audit.resolver";
import { AuditService } from "./audit/audit.service";
import { Authenticator } from "./auth/authenticator";
import { TokenService } from "./auth/token.service";
import { mountCallRecorderRoutes } from "./call-recorder/call-recorder.route";
import { RestAuthenticator } from "./call-recorder/rest-authenticator";
import { CallResolver } from "./calls/call.resolver";
import { CallService } from "./calls/call.service";
import { ComplianceReportResolver } from "./compliance-report/compliance-report.resolver";
import { mountComplianceReportRoute } from "./compliance-report/compliance-report.route";
import { ComplianceReportService } from "./compliance-report/compliance-report.service";
import { REPORT_SECRET_PURPOSE } from "./compliance-report/report-link";
import { faultArmed } from "./common/fault-injection";
import { Config, DEFAULT_OPERATIONS, FleetConfig } from "./config/config";
import { mountConsoleRoutes } from "./console/console.routes";
import { CustomerResolver } from "./customers/customer.resolver";
import { CustomerService } from "./customers/customer.service";
import { openDataSource } from "./database/data-source";
import { runMigrationsExclusively } from "./database/run-migrations";
import { TransactionRunner } from "./database/transaction";
import { mountDownloadRoutes } from "./downloads/download.route";
import { DownloadResolver } from "./downloads/download.resolver";
import { DownloadService } from "./downloads/download.service";
import { serverOrigin } from "./downloads/server-origin";
import type { EventBus } from "./events/event-bus";
import { InMemoryEventBus } from "./events/in-memory-event-bus";
import { FleetJob } from "./leases/fleet-job";
import { LeaseService } from "./leases/lease.service";
import { RedisEventBus } from "./events/redis-event-bus";
import { buildCallvaultSchema, ResolverContainer } from "./graphql/schema";
import { operationPermissions } from "./http/operation-permissions";
import { GRAPHQL_PATH, RunningHttpServer, startHttpServer, UpgradeRoute } from "./http/server";
import { mountStaticConsole } from "./http/static-console";
import { LegalHoldResolver, RecordingLegalHoldsResolver } from "./legal-holds/legal-hold.resolver";
import { LegalHoldService } from "./legal-holds/legal-hold.service";
import { IngestAuthenticator, IngestPrincipal } from "./ingest/ingest-auth";
import { MediaSessionRegistry } from "./ingest/media-session-registry";
import { MediaStreamAdmission } from "./ingest/media-stream-admission";
import { auditPauseLeaks } from "./ingest/pause-leak-auditor";
import { TwilioMediaStream } from "./ingest/twilio-media-stream";
import { MediaWorkerPool } from "./media-workers/media-worker-pool";
import { InstancePresence } from "./leases/instance-presence";
import { loadMasterKey } from "./recording-media/master-key-file";
import { MediaSweeper } from "./recording-media/media-sweeper";
import { RecordingMediaService } from "./recording-media/recording-media.service";
import { openObjectStore } from "./storage/open-object-store";
import { RecordingControlService } from "./recordings/recording-control.service";
import { RecordingDeletionService } from "./recordings/recording-deletion.service";
import { useMp3Encoder } from "./media/mp3-encoder";
import { Mp3Redactor } from "./redaction/mp3-redactor";
import { RecordingRedactionService } from "./redaction/recording-redaction.service";
import { RedactionResolver } from "./redaction/redaction.resolver";
import { RecordingEventPublisher } from "./recordings/recording-events";
import { RecordingLifecycleService } from "./recordings/recording-lifecycle.service";
import { RecordingStateMachine } from "./recordings/recording-state-machine";
import { RecordingQueryService } from "./recordings/recording-query.service";
import { RecordingStreamService } from "./recordings/recording-stream.service";
import { RecordingSubscriptionResolver } from "./recordings/recording-subscription.resolver";
import { RecordingResolver } from "./recordings/recording.resolver";
import { RetentionResolver } from "./retention/retention.resolver";
import { RetentionService } from "./retention/retention.service";
import { seedDemoData } from "./seed/demo-seed";
import { TimelineStreamService } from "./timeline/timeline-stream.service";
import { TimelineResolver } from "./timeline/timeline.resolver";
import { TimelineService } from "./timeline/timeline.service";
import { ApiTokenService } from "./users/api-token.service";
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
  /** This process's id in the fleet (its liveness lease is `instance:<id>`). */
  instanceId: string;
  leases: LeaseService;
  presence: InstancePresence;
  /** The media sweeper, run about once per interval across the whole fleet. */
  sweepJob: FleetJob;
  media: RecordingMediaService;
  sessions: MediaSessionRegistry;
  mediaWorkers: MediaWorkerPool;
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
  recordingStates: RecordingStateMachine;
  recordings: RecordingQueryService;
  timeline: TimelineService;
  tokens: TokenService;
  downloads: DownloadService;
  apiTokens: ApiTokenService;
  legalHolds: LegalHoldService;
  auditCheckpoints: AuditCheckpointService;
  retention: RetentionService;
  reports: ComplianceReportService;
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
  /** The built web console (vite build output); defaults to dist/web beside the compiled server. */
  consoleDir?: string;
}

export const MEDIA_STREAM_PATH = "/media";
/** Twilio sends 20 ms frames (~300 bytes of JSON) and a `start` of a few hundred; anything near this is not a media stream. */
const MAX_MEDIA_MESSAGE_BYTES = 8 * 1024;
const DEFAULT_INGEST_STALE_MS = 60_000;
/** Dead instances' liveness leases are kept this long (for whoever looks), then forgotten. */
const DEAD_INSTANCE_MEMORY_MS = 24 * 3600_000;
const DEFAULT_FLEET: FleetConfig = { instanceStaleAfterMs: 30_000, sweepIntervalMs: 60_000 };


/** Opens the database (applying migrations) and wires every service. Used by the server and the CLIs. */
export async function createServices(config: Config, options: Pick<AppOptions, "mediaStaleAfterMs" | "log" | "onPauseLeak"> = {}): Promise<Services> {
  const dataSource = await openDataSource(config.database);
  let audit: AuditService | undefined;
  let transactions: TransactionRunner | undefined;
  try {
    await runMigrationsExclusively(dataSource);
    transactions = new TransactionRunner(dataSource);
    audit = new AuditService(dataSource, transactions, options.log ?? rootLog);
    await audit.start();
    const instanceId = randomUUID();
    const bus: EventBus = config.redisUrl ? await RedisEventBus.connect(config.redisUrl, `callvault:${instanceId}`) : new InMemoryEventBus();
    const publisher = new RecordingEventPublisher(bus);
    const operations = config.operations ?? DEFAULT_OPERATIONS;
    const users = new UserService(dataSource, transactions, audit, bus, { viewerCacheMs: operations.viewerCacheSeconds * 1000 });
    await users.start();
    const customers = new CustomerService(dataSource, transactions, audit);
    const recordingStates = new RecordingStateMachine(transactions, audit, publisher);
    const lifecycle = new RecordingLifecycleService(recordingStates);
    const recordings = new RecordingQueryService(dataSource, users);
    const fleet = config.fleet ?? DEFAULT_FLEET;
    const leases = new LeaseService(dataSource);
    const log = options.log ?? rootLog;
    const store = await openObjectStore(config.media.store ?? { kind: "filesystem", root: path.join(config.dataDir, "media") });
    const presence = new InstancePresence(leases, instanceId, fleet.instanceStaleAfterMs, !config.redisUrl, (error) => log("instance heartbeat failed", error));
    await presence.start();
    const media = new RecordingMediaService(dataSource, store, loadMasterKey(config.media.masterKey, config.dataDir), {
      instanceId,
      isDead: (owner) => presence.isDead(owner),
      staleAfterMs: fleet.instanceStaleAfterMs,
    });
    const mp3Encoder = useMp3Encoder(config.mediaPipeline.mp3Encoder);
    const mediaWorkers = new MediaWorkerPool({
      size: config.mediaPipeline.workers,
      niceness: config.mediaPipeline.workerNiceness,
      mp3Encoder,
      log,
      crashOnPause: faultArmed("media-worker-crash-on-pause"),
    });
    const sessions = new MediaSessionRegistry(
      bus,
      media,
      recordings,
      lifecycle,
      { workers: mediaWorkers, pauseBehavior: config.media.pauseBehavior, pauseGuardMs: config.mediaPipeline.pauseGuardMs },
      withLeakListener(auditPauseLeaks(transactions, audit, options.log ?? rootLog), options.onPauseLeak),
    );
    await sessions.start();
    const legalHolds = new LegalHoldService(dataSource, transactions, audit);
    const deletion = new RecordingDeletionService(recordingStates, media, legalHolds);
    const sweeper = new MediaSweeper(dataSource, media, lifecycle, {
      staleAfterMs: options.mediaStaleAfterMs ?? DEFAULT_INGEST_STALE_MS,
      isLiveHere: (recordingId) => sessions.has(recordingId),
      singleInstance: !config.redisUrl,
      settle: (recordingId) => sessions.settleIfEnded(recordingId),
    });
    const sweepJob = new FleetJob(leases, {
      name: "job:media-sweep",
      holderId: instanceId,
      intervalMs: fleet.sweepIntervalMs,
      job: async () => {
        await sweeper.sweep();
        await presence.forgetDead(DEAD_INSTANCE_MEMORY_MS);
      },
      onError: (error) => log("media sweep failed", error),
    });
    return {
      dataSource,
      instanceId,
      leases,
      presence,
      sweepJob,
      media,
      sessions,
      mediaWorkers,
      sweeper,
      transactions,
      bus,
      audit,
      users,
      customers,
      lifecycle,
      recordingStates,
      recordings,
      calls: new CallService(dataSource, transactions, users, customers, audit, recordingStates, sessions),
      control: new RecordingControlService(recordingStates, users),
      deletion,
      redaction: new RecordingRedactionService(recordingStates, media, recordings, new Mp3Redactor(), legalHolds),
      legalHolds,
      timeline: new TimelineService(dataSource, customers),
      tokens: TokenService.create(config.jwt, config.dataDir, operations.tokenMaxAgeSeconds),
      downloads: new DownloadService(dataSource, transactions, audit, users, recordings, media, {
        publicUrl: config.media.publicUrl,
        ttlSeconds: config.media.downloadUrlTtlSeconds,
      }),
      apiTokens: new ApiTokenService(dataSource, users, transactions, audit),
      auditCheckpoints: new AuditCheckpointService(
        dataSource,
        audit,
        config.compliance.auditCheckpointKey
          ? AuditCheckpointSigner.fromSeed(Buffer.from(config.compliance.auditCheckpointKey, "base64"))
          : AuditCheckpointSigner.fromSeed(media.deriveSecret("audit-checkpoint-ed25519")),
        new AuditChainWalker(config.database),
      ),
      retention: new RetentionService(dataSource, transactions, audit, deletion, config.compliance.retentionBatchSize),
      reports: new ComplianceReportService(dataSource, audit, users, {
        secret: media.deriveSecret(REPORT_SECRET_PURPOSE),
        publicUrl: config.media.publicUrl,
        ttlSeconds: config.media.downloadUrlTtlSeconds,
      }),
    };
  } catch (error) {
    await audit?.close();
    await transactions?.close();
    await dataSource.destroy();
    throw error;
  }
}

export async function closeServices(services: Services): Promise<void> {
  await services.sweepJob?.stop();
  await services.sessions.closeAll();
  await services.mediaWorkers.close();
  await services.presence?.stop();
  services.users.stop();
  await services.bus.close();
  await services.audit.close();
  await services.transactions.close();
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
  const fleetJobs = complianceJobs(config, services, log);
  try {
    // Every instance sweeps at start (only dead instances' work is touched); later sweeps run once per fleet.
    await services.sweeper.sweep({ atStartup: true });
    services.sweepJob.start();
    if (config.seedDemo && (await services.users.list()).length === 0) {
      await seedDemoData(services);
      log("seeded demo data (users, customers, past calls and one live call)");
    }
    const container = new ResolverContainer()
      .register(new UserResolver(services.users, services.apiTokens))
      .register(new CustomerResolver(services.customers))
      .register(new CallResolver(services.calls))
      .register(new RecordingResolver(services.recordings, services.control, services.deletion, services.users))
      .register(new RedactionResolver(services.redaction))
      .register(new RecordingSubscriptionResolver())
      .register(new TimelineResolver(services.timeline))
      .register(new AuditResolver(services.audit, services.auditCheckpoints))
      .register(new AuditCheckpointResolver(services.auditCheckpoints))
      .register(new RetentionResolver(services.retention))
      .register(new ComplianceReportResolver(services.reports))
      .register(new DownloadResolver(services.downloads))
      .register(new LegalHoldResolver(services.legalHolds))
      .register(new RecordingLegalHoldsResolver(services.legalHolds));
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
      bus: services.bus,
      production: config.nodeEnv === "production",
      log,
      health: async () => {
        await services.dataSource.query("SELECT 1");
      },
      routes: (app) => {
        mountDownloadRoutes(app, services.downloads, log, (bytes) => metrics.downloadBytes.inc(bytes));
        mountMetricsRoute(app, metrics, operations.metricsToken);
        const permissions = operationPermissions(schema);
        mountCallRecorderRoutes(app, {
          auth: new RestAuthenticator(authenticator, services.apiTokens),
          control: services.control,
          recordings: services.recordings,
          permissions,
          log,
        });
        mountConsoleRoutes(app, {
          authenticator,
          permissions,
          users: services.users,
          tokens: services.tokens,
          apiTokens: services.apiTokens,
          development: config.nodeEnv !== "production",
          log,
        });
        mountStaticConsole(app, options.consoleDir ?? path.resolve(__dirname, "../web"));
        mountAuditExportRoute(app, { dataSource: services.dataSource, checkpoints: services.auditCheckpoints, authenticator, log });
        mountComplianceReportRoute(app, services.reports, log);
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
            observer: { frame: (verdict, count = 1) => metrics.mediaFrames.inc({ verdict }, count), closed: (code) => metrics.mediaStreamsClosed.inc({ code: String(code) }) },
          },
          new IngestAuthenticator(authenticator, config.media.twilioAuthToken, config.media.publicUrl),
        ),
      },
    });
    // Links point at this server until PUBLIC_URL says otherwise; the port is known only now (0 in tests).
    services.downloads.listeningAt(serverOrigin(options.host, server.port));
    const running = server;
    services.reports.listeningAt(serverOrigin(options.host, server.port));
    for (const job of fleetJobs) job.start();
    return {
      config,
      services,
      server: running,
      /** Stop accepting, finish live media (MP3 committed, recordings settled), close sockets, then Redis and the database. */
      async close() {
        running.stopAccepting();
        await admission.shutdown();
        await Promise.all(fleetJobs.map((job) => job.stop()));
        await running.close();
        await closeServices(services);
      },
    };
  } catch (error) {
    await Promise.all(fleetJobs.map((job) => job.stop()));
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

const RETENTION_JOB = "job:retention";

/** Jobs that run once across the fleet (a lease in the database decides which instance). */
function complianceJobs(config: Config, services: Services, log: (message: string, error?: unknown) => void): FleetJob[] {
  return [
    new FleetJob(services.leases, {
      name: "job:audit-checkpoint",
      holderId: services.instanceId,
      intervalMs: config.compliance.auditCheckpointIntervalSeconds * 1000,
      job: () => services.auditCheckpoints.checkpoint(),
      onError: (error) => log("audit checkpoint failed", error),
    }),
    new FleetJob(services.leases, {
      name: RETENTION_JOB,
      holderId: services.instanceId,
      intervalMs: config.compliance.retentionIntervalSeconds * 1000,
      job: () =>
        services.retention.run({
          holderId: services.instanceId,
          shouldContinue: async () => (await services.leases.holderOf(RETENTION_JOB)) === services.instanceId,
        }),
      onError: (error) => log("retention run failed", error),
    }),
  ];
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
