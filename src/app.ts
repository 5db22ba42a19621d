import { randomUUID } from "node:crypto";
import path from "node:path";
import { DataSource } from "typeorm";
import { WebSocket, WebSocketServer } from "ws";
import { AuditResolver } from "./audit/audit.resolver";
import { AuditService } from "./audit/audit.service";
import { Authenticator } from "./auth/authenticator";
import { TokenService } from "./auth/token.service";
import { CallResolver } from "./calls/call.resolver";
import { CallService } from "./calls/call.service";
import type { Config, FleetConfig } from "./config/config";
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
import { RedisEventBus } from "./events/redis-event-bus";
import { buildCallvaultSchema, ResolverContainer } from "./graphql/schema";
import { RunningHttpServer, startHttpServer, UpgradeRoute } from "./http/server";
import { IngestAuthenticator, IngestPrincipal } from "./ingest/ingest-auth";
import { MediaSessionRegistry } from "./ingest/media-session-registry";
import { auditPauseLeaks } from "./ingest/pause-leak-auditor";
import { TwilioMediaStream } from "./ingest/twilio-media-stream";
import { FleetJob } from "./leases/fleet-job";
import { InstancePresence } from "./leases/instance-presence";
import { LeaseService } from "./leases/lease.service";
import { loadMasterKey } from "./recording-media/master-key-file";
import { MediaSweeper } from "./recording-media/media-sweeper";
import { RecordingMediaService } from "./recording-media/recording-media.service";
import { openObjectStore } from "./storage/open-object-store";
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
  log?: (message: string, error?: unknown) => void;
  /** How long an ingest may go without a heartbeat before the sweeper treats it as dead. */
  mediaStaleAfterMs?: number;
  /** Bind address; tests use 127.0.0.1. */
  host?: string;
}

export const MEDIA_STREAM_PATH = "/media";
/** Twilio sends 20 ms frames (~300 bytes of JSON); anything near this is not a media stream. */
const MAX_MEDIA_MESSAGE_BYTES = 64 * 1024;
const DEFAULT_INGEST_STALE_MS = 60_000;
/** Dead instances' liveness leases are kept this long (for whoever looks), then forgotten. */
const DEAD_INSTANCE_MEMORY_MS = 24 * 3600_000;
const DEFAULT_FLEET: FleetConfig = { instanceStaleAfterMs: 30_000, sweepIntervalMs: 60_000 };

const defaultLog = (message: string, error?: unknown) => (error === undefined ? console.log(message) : console.error(message, error));

/** Opens the database (applying migrations) and wires every service. Used by the server and the CLIs. */
export async function createServices(config: Config, options: Pick<AppOptions, "mediaStaleAfterMs" | "log"> = {}): Promise<Services> {
  const dataSource = await openDataSource(config.database);
  try {
    await runMigrationsExclusively(dataSource);
    const transactions = new TransactionRunner(dataSource);
    const audit = new AuditService(dataSource);
    await audit.ensureHead();
    const bus: EventBus = config.redisUrl ? await RedisEventBus.connect(config.redisUrl) : new InMemoryEventBus();
    const publisher = new RecordingEventPublisher(bus);
    const users = new UserService(dataSource, transactions, audit, bus);
    const customers = new CustomerService(dataSource, transactions, audit);
    const lifecycle = new RecordingLifecycleService(transactions, publisher);
    const recordings = new RecordingQueryService(dataSource, users);
    const fleet = config.fleet ?? DEFAULT_FLEET;
    const instanceId = randomUUID();
    const leases = new LeaseService(dataSource);
    const log = options.log ?? defaultLog;
    const store = await openObjectStore(config.media.store ?? { kind: "filesystem", root: path.join(config.dataDir, "media") });
    const presence = new InstancePresence(leases, instanceId, fleet.instanceStaleAfterMs, !config.redisUrl, (error) => log("instance heartbeat failed", error));
    await presence.start();
    const media = new RecordingMediaService(dataSource, store, loadMasterKey(config.media.masterKey, config.dataDir), {
      instanceId,
      isDead: (owner) => presence.isDead(owner),
      staleAfterMs: fleet.instanceStaleAfterMs,
    });
    const sessions = new MediaSessionRegistry(
      bus,
      media,
      recordings,
      lifecycle,
      config.media.pauseBehavior,
      auditPauseLeaks(transactions, audit, options.log ?? defaultLog),
    );
    await sessions.start();
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
      tokens: TokenService.create(config.jwt, config.dataDir),
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
  await services.sweepJob?.stop();
  await services.sessions.closeAll();
  await services.presence?.stop();
  await services.bus.close();
  if (services.dataSource.isInitialized) await services.dataSource.destroy();
}

/** The composition root: config → data source → services → resolvers → servers. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.log ?? defaultLog;
  const services = await createServices(config, options);
  try {
    // Every instance sweeps at start (only dead instances' work is touched); later sweeps run once per fleet.
    await services.sweeper.sweep({ atStartup: true });
    services.sweepJob.start();
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
    const server = await startHttpServer({
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
      routes: (app) => mountDownloadRoutes(app, services.downloads, log),
      webSockets: {
        [MEDIA_STREAM_PATH]: mediaStreamRoute(services, new IngestAuthenticator(authenticator, config.media.twilioAuthToken, config.media.publicUrl), log),
      },
    });
    // Links point at this server until PUBLIC_URL says otherwise; the port is known only now (0 in tests).
    services.downloads.listeningAt(serverOrigin(options.host, server.port));
    return {
      config,
      services,
      server,
      async close() {
        await server.close();
        await closeServices(services);
      },
    };
  } catch (error) {
    await closeServices(services);
    throw error;
  }
}

function mediaStreamRoute(services: Services, ingestAuth: IngestAuthenticator, log: (message: string, error?: unknown) => void): UpgradeRoute {
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_MEDIA_MESSAGE_BYTES });
  server.on("connection", (socket: WebSocket, _request: unknown, principal: IngestPrincipal) => {
    new TwilioMediaStream(socket, principal, { registry: services.sessions, calls: services.calls, recordings: services.recordings, log });
  });
  return { server, authorize: (request) => ingestAuth.authorize(request) };
}
