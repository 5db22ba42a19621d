import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { App, createApp } from "../../src/app";
import { Role } from "../../src/auth/role";
import type { Viewer } from "../../src/auth/viewer";
import type { Config, FleetConfig, MediaConfig, NodeEnv } from "../../src/config/config";
import { createTestDatabase, TestDatabase } from "./test-database";

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
  mediaStaleAfterMs?: number;
  seedDemo?: boolean;
  /** Instance liveness and sweep interval (tests of a fleet shorten them). */
  fleet?: FleetConfig;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const shared = options.shareDatabaseWith?.database;
  const database = shared ? { ...shared, drop: async () => undefined } : await createTestDatabase();
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "callvault-data-"));
  const config: Config = {
    port: 0,
    nodeEnv: options.nodeEnv ?? "test",
    dataDir,
    database: database.config,
    redisUrl: options.redisUrl,
    jwt: { mode: "secret", ...TEST_JWT },
    seedDemo: options.seedDemo ?? false,
    media: { masterKey: undefined, twilioAuthToken: undefined, pauseBehavior: "silence", publicUrl: undefined, downloadUrlTtlSeconds: 300, ...options.media },
    fleet: options.fleet,
  };
  const logs: string[] = [];
  const app = await createApp(config, {
    host: "127.0.0.1",
    log: (message, error) => logs.push(`${message} ${error ?? ""}`),
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
