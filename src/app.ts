import { DataSource } from "typeorm";
import { AuditResolver } from "./audit/audit.resolver";
import { AuditService } from "./audit/audit.service";
import { Authenticator } from "./auth/authenticator";
import { TokenService } from "./auth/token.service";
import { CallResolver } from "./calls/call.resolver";
import { CallService } from "./calls/call.service";
import type { Config } from "./config/config";
import { CustomerResolver } from "./customers/customer.resolver";
import { CustomerService } from "./customers/customer.service";
import { openDataSource } from "./database/data-source";
import { TransactionRunner } from "./database/transaction";
import type { EventBus } from "./events/event-bus";
import { InMemoryEventBus } from "./events/in-memory-event-bus";
import { RedisEventBus } from "./events/redis-event-bus";
import { buildCallvaultSchema, ResolverContainer } from "./graphql/schema";
import { RunningHttpServer, startHttpServer } from "./http/server";
import { RecordingControlService } from "./recordings/recording-control.service";
import { RecordingDeletionService } from "./recordings/recording-deletion.service";
import { RecordingEventPublisher } from "./recordings/recording-events";
import { NO_MEDIA_SHREDDER } from "./recordings/recording-finalizer";
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
  transactions: TransactionRunner;
  bus: EventBus;
  audit: AuditService;
  users: UserService;
  customers: CustomerService;
  calls: CallService;
  control: RecordingControlService;
  deletion: RecordingDeletionService;
  lifecycle: RecordingLifecycleService;
  recordings: RecordingQueryService;
  timeline: TimelineService;
  tokens: TokenService;
}

export interface App {
  config: Config;
  services: Services;
  server: RunningHttpServer;
  close(): Promise<void>;
}

export interface AppOptions {
  log?: (message: string, error?: unknown) => void;
  /** Bind address; tests use 127.0.0.1. */
  host?: string;
}

const defaultLog = (message: string, error?: unknown) => (error === undefined ? console.log(message) : console.error(message, error));

/** Opens the database (applying migrations) and wires every service. Used by the server and the CLIs. */
export async function createServices(config: Config): Promise<Services> {
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
    return {
      dataSource,
      transactions,
      bus,
      audit,
      users,
      customers,
      lifecycle,
      recordings,
      calls: new CallService(dataSource, transactions, users, customers, audit, publisher, lifecycle),
      control: new RecordingControlService(transactions, users, audit, publisher),
      deletion: new RecordingDeletionService(transactions, audit, publisher, NO_MEDIA_SHREDDER),
      timeline: new TimelineService(dataSource, customers, recordings),
      tokens: TokenService.create(config.jwt, config.dataDir),
    };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

export async function closeServices(services: Services): Promise<void> {
  await services.bus.close();
  if (services.dataSource.isInitialized) await services.dataSource.destroy();
}

/** The composition root: config → data source → services → resolvers → servers. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.log ?? defaultLog;
  const services = await createServices(config);
  try {
    if (config.seedDemo && (await services.users.list()).length === 0) {
      await seedDemoData(services);
      log("seeded demo data (users, customers, past calls and one live call)");
    }
    const container = new ResolverContainer()
      .register(new UserResolver(services.users))
      .register(new CustomerResolver(services.customers))
      .register(new CallResolver(services.calls))
      .register(new RecordingResolver(services.recordings, services.control, services.deletion, services.users))
      .register(new RecordingSubscriptionResolver())
      .register(new TimelineResolver(services.timeline))
      .register(new AuditResolver(services.audit));
    const schema = await buildCallvaultSchema(container);
    const server = await startHttpServer({
      port: config.port,
      host: options.host,
      schema,
      authenticator: new Authenticator(services.tokens, services.users),
      streams: {
        recordings: new RecordingStreamService(services.bus, services.recordings, services.users),
        timeline: new TimelineStreamService(services.bus, services.customers, services.recordings),
      },
      production: config.nodeEnv === "production",
      log,
      health: async () => {
        await services.dataSource.query("SELECT 1");
      },
    });
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
