import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { App, createApp } from "../../src/app";
import { Role } from "../../src/auth/role";
import type { Viewer } from "../../src/auth/viewer";
import { ComplianceConfig, Config, DatabaseConfig, DEFAULT_OPERATIONS, FleetConfig, IngestLimits, MediaConfig, MediaPipelineConfig, NodeEnv, OperationsConfig } from "../../src/config/config";
import { createTestDatabase, TestDatabase } from "./test-database";
import type { Logger } from "../../src/logging/logger";

export const TEST_JWT = { secret: "test-secret-that-is-long-enough-for-hs256-000", issuer: "callvault", audience: "callvault" };

export interface TestUser {
  id: string;
  email: string;
  token: string;
  viewer: Viewer;
}

export interface TestApp {
  app: App;
  url: string;
  wsUrl: string;
  database: TestDatabase;
  logs: string[];
  /** Creates a user with these roles directly through the service and mints a token for them. */
  user(roles: Role[], name?: string): Promise<TestUser>;
  close(): Promise<void>;
}

let counter = 0;

/** The real app on 127.0.0.1, port 0, against a fresh database. */
export interface TestAppOptions {
  nodeEnv?: NodeEnv;
  redisUrl?: string;
  shareDatabaseWith?: TestApp;
  /** Reuse a data directory (master key, media objects), e.g. to restart on the same state. */
  dataDir?: string;
  media?: Partial<MediaConfig>;
  mediaPipeline?: Partial<MediaPipelineConfig>;
  mediaStaleAfterMs?: number;
  seedDemo?: boolean;
  compliance?: Partial<ComplianceConfig>;
  operations?: Partial<Omit<OperationsConfig, "ingest">> & { ingest?: Partial<IngestLimits> };
  /** The real JSON logger (e.g. into a captured stream) instead of collecting `logs` lines. */
  logger?: Logger;
  /** Instance liveness and sweep interval (tests of a fleet shorten them). */
  fleet?: FleetConfig;
}

/** The configuration every test app starts from: test JWT, generated keys, defaults a test can override. */
export function testConfig(database: DatabaseConfig, dataDir: string, options: TestAppOptions = {}): Config {
  return {
    port: 0,
    nodeEnv: options.nodeEnv ?? "test",
    dataDir,
    database,
    redisUrl: options.redisUrl,
    jwt: { mode: "secret", ...TEST_JWT },
    seedDemo: options.seedDemo ?? false,
    media: { masterKey: undefined, twilioAuthToken: undefined, pauseBehavior: "silence", publicUrl: undefined, downloadUrlTtlSeconds: 300, ...options.media },
    compliance: { auditCheckpointKey: undefined, auditCheckpointIntervalSeconds: 60, retentionIntervalSeconds: 3600, retentionBatchSize: 100, ...options.compliance },
    mediaPipeline: { workers: 2, pauseGuardMs: 100, workerNiceness: 0, mp3Encoder: "auto", ...options.mediaPipeline },
    fleet: options.fleet,
    operations: { ...DEFAULT_OPERATIONS, ...options.operations, ingest: { ...DEFAULT_OPERATIONS.ingest, ...options.operations?.ingest } },
  };
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const shared = options.shareDatabaseWith?.database;
  const database = shared ? { ...shared, drop: async () => undefined } : await createTestDatabase();
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "callvault-data-"));
  const config = testConfig(database.config, dataDir, options);
  const logs: string[] = [];
  const app = await createApp(config, {
    host: "127.0.0.1",
    ...(options.logger ? { logger: options.logger } : { log: (message: string, error?: unknown) => void logs.push(`${message} ${error ?? ""}`) }),
    mediaStaleAfterMs: options.mediaStaleAfterMs,
  });
  const url = app.server.url.replace("localhost", "127.0.0.1");
  return {
    app,
    url,
    wsUrl: url.replace(/^http/, "ws"),
    database,
    logs,
    async user(roles, name) {
      const email = `${name ?? "user"}-${++counter}-${Date.now()}@test.example`;
      const created = await app.services.users.create(undefined, "test-setup", { email, displayName: name ?? email, roles });
      const viewer = (await app.services.users.loadViewer(created.id)) as Viewer;
      return { id: created.id, email, token: await app.services.tokens.mint(created.id), viewer };
    },
    async close() {
      await app.close();
      await database.drop();
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
