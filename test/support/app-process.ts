import { ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { DatabaseConfig } from "../../src/config/config";
import type { TestDatabase } from "./test-database";

const ROOT = path.resolve(__dirname, "../..");
/**
 * A private build of the service, not dist/: the tests must run the current sources even when dist/ is stale
 * or another build is writing it. It lives under node_modules so the compiled files resolve the same packages.
 */
const BUILD_DIR = path.join(ROOT, "node_modules/.cache/callvault-app-process");
const START_TIMEOUT_MS = 30_000;
const LISTENING = /callvault listening on (http:\/\/\S+)/;

let built: Promise<string> | undefined;

/**
 * Compiles src/main.ts (and what it imports) with the build settings, as `npm run build` does; incremental,
 * so a rebuild with no change takes about two seconds. Resolves to the compiled entry point. Once per test process.
 */
export function buildApp(): Promise<string> {
  built ??= (async () => {
    fs.mkdirSync(BUILD_DIR, { recursive: true });
    const config = {
      extends: path.relative(BUILD_DIR, path.join(ROOT, "tsconfig.build.json")),
      compilerOptions: { rootDir: path.relative(BUILD_DIR, ROOT), outDir: ".", incremental: true, tsBuildInfoFile: "./tsbuildinfo", sourceMap: true },
      include: [],
      files: [path.relative(BUILD_DIR, path.join(ROOT, "src/main.ts"))],
    };
    fs.writeFileSync(path.join(BUILD_DIR, "tsconfig.json"), JSON.stringify(config, null, 2));
    const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
    try {
      await promisify(execFile)(process.execPath, [tsc, "-p", path.join(BUILD_DIR, "tsconfig.json")], { cwd: ROOT });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`building the service failed:\n${stdout ?? ""}${stderr ?? ""}`);
    }
    // Runtime files tsc does not emit (worker scripts), copied as `npm run build` copies them.
    fs.cpSync(path.join(ROOT, "src"), path.join(BUILD_DIR, "src"), { recursive: true, filter: (file) => fs.statSync(file).isDirectory() || file.endsWith(".mjs") });
    return path.join(BUILD_DIR, "src/main.js");
  })();
  return built;
}

/** The database the service process uses: the test database on MySQL/MariaDB, or its embedded SQLite file. */
export function serviceDatabase(database: TestDatabase, dataDir: string): DatabaseConfig {
  return database.kind === "mysql" ? database.config : { kind: "sqlite", file: path.join(dataDir, "callvault.sqlite") };
}

export interface AppProcessOptions {
  dataDir: string;
  database: TestDatabase;
  jwtSecret: string;
  /** Extra environment, e.g. SEED_DEMO or CALLVAULT_FAULT. */
  env?: Record<string, string>;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The real service as its own OS process (`node main.js`), so a test can SIGKILL it at any instant and start
 * it again on the same data directory and database, the way a crash and a restart happen in production.
 */
export class AppProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly exited: Promise<ProcessExit>,
    private readonly lines: string[],
  ) {}

  /** Starts the service and resolves once it prints its URL (migrations and the startup sweep are done by then). */
  static async start(options: AppProcessOptions): Promise<AppProcess> {
    const main = await buildApp();
    const database = serviceDatabase(options.database, options.dataDir);
    // A clean environment: nothing from the developer's shell (REDIS_URL, MASTER_KEY…) changes what is tested.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      PORT: "0",
      DATA_DIR: options.dataDir,
      JWT_SECRET: options.jwtSecret,
      SEED_DEMO: "false",
      ...(database.kind === "mysql" ? { DATABASE_URL: database.url } : {}),
      ...options.env,
    };
    const child = spawn(process.execPath, ["--enable-source-maps", main], { cwd: options.dataDir, env, stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    const exited = new Promise<ProcessExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the service did not start within ${START_TIMEOUT_MS} ms:\n${lines.join("\n")}`)), START_TIMEOUT_MS);
      const collect = (stream: NodeJS.ReadableStream) => {
        let partial = "";
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => {
          const parts = (partial + chunk).split("\n");
          partial = parts.pop() ?? "";
          for (const line of parts) {
            lines.push(line);
            const match = LISTENING.exec(line);
            if (match) {
              clearTimeout(timer);
              // The service listens on every interface; 127.0.0.1 avoids resolving localhost to ::1.
              resolve(match[1].replace("localhost", "127.0.0.1"));
            }
          }
        });
      };
      collect(child.stdout!);
      collect(child.stderr!);
      void exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`the service exited before listening (${exit.signal ?? exit.code}):\n${lines.join("\n")}`));
      });
    }).catch((error) => {
      child.kill("SIGKILL");
      throw error;
    });
    return new AppProcess(child, url, exited, lines);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Everything the process printed so far (stdout and stderr). */
  get output(): string {
    return this.lines.join("\n");
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** A crash: no shutdown hooks, no draining, no flushing. */
  async kill(): Promise<ProcessExit> {
    if (this.running) this.child.kill("SIGKILL");
    return this.exited;
  }

  /** Sends a signal and returns at once (e.g. a second SIGTERM during a shutdown). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** A graceful stop (SIGTERM), falling back to SIGKILL if it hangs. */
  async stop(timeoutMs = 10_000): Promise<ProcessExit> {
    if (!this.running) return this.exited;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
