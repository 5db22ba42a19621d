import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { App, createApp, createServices, closeServices, Services } from "../../../src/app";
import type { Config } from "../../../src/config/config";
import { createTestDatabase, TestDatabase } from "../../support/test-database";
import { testConfig } from "../../support/test-app";

const ROOT = path.resolve(__dirname, "../../..");
/** A private build of the console, as `npm run build` makes it, so tests never depend on a stale dist/web. */
const CONSOLE_BUILD_DIR = path.join(ROOT, "node_modules/.cache/callvault-console");

let built: Promise<string> | undefined;

/** `vite build web` into a private directory; once per test process (about two seconds). */
export function buildConsole(): Promise<string> {
  built ??= (async () => {
    const vite = path.join(ROOT, "node_modules/vite/bin/vite.js");
    try {
      await promisify(execFile)(process.execPath, [vite, "build", "web", "--outDir", CONSOLE_BUILD_DIR, "--emptyOutDir", "--logLevel", "warn"], {
        cwd: ROOT,
        env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: "true" },
      });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`building the console failed:\n${stdout ?? ""}${stderr ?? ""}`);
    }
    return CONSOLE_BUILD_DIR;
  })();
  return built;
}

/**
 * The real server with the built console, the demo seed and a fresh database, on 127.0.0.1. It can be stopped
 * and started again on the same port, data directory and database: a restart under open pages.
 */
export class ConsoleServer {
  private constructor(
    private app: App | undefined,
    private readonly config: Config,
    private readonly consoleDir: string,
    private readonly database: TestDatabase,
    readonly origin: string,
  ) {}

  static async start(): Promise<ConsoleServer> {
    const consoleDir = await buildConsole();
    const database = await createTestDatabase();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "callvault-console-"));
    const config = testConfig(database.config, dataDir, { seedDemo: true });
    const app = await createApp(config, { host: "127.0.0.1", consoleDir, log: () => undefined });
    return new ConsoleServer(app, { ...config, port: app.server.port }, consoleDir, database, `http://127.0.0.1:${app.server.port}`);
  }

  get services(): Services {
    if (!this.app) throw new Error("the server is stopped");
    return this.app.services;
  }

  get graphqlUrl(): string {
    return `${this.origin}/graphql`;
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }

  /** Runs `change` against the database while the HTTP server is down (as another instance would). */
  async whileStopped(change: (services: Services) => Promise<void>): Promise<void> {
    const services = await createServices(this.config, { log: () => undefined });
    try {
      await change(services);
    } finally {
      await closeServices(services);
    }
  }

  async restart(): Promise<void> {
    this.app = await createApp(this.config, { host: "127.0.0.1", consoleDir: this.consoleDir, log: () => undefined });
  }

  async tokenFor(email: string): Promise<string> {
    const user = await this.services.users.getByReference(email);
    return this.services.tokens.mint(user.id);
  }

  async close(): Promise<void> {
    await this.stop();
    await this.database.drop();
    fs.rmSync(this.config.dataDir, { recursive: true, force: true });
  }
}
