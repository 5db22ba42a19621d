import "reflect-metadata";
import { createApp } from "./app";
import { ConfigError, DEFAULT_OPERATIONS, loadConfig } from "./config/config";
import { createLogger, Logger } from "./logging/logger";

let logger: Logger | undefined;
import { ObjectStoreUnavailableError } from "./storage/s3-object-store";

async function main(): Promise<void> {
  const config = loadConfig();
  logger = createLogger((config.operations ?? DEFAULT_OPERATIONS).logLevel);
  const app = await createApp(config, { logger });
  const log = logger;
  // Handlers first: whoever reads the "listening" line may signal at once.
  const timeoutMs = (config.operations ?? DEFAULT_OPERATIONS).shutdownTimeoutMs;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal means "now": the operator (or the orchestrator) gave up waiting.
    if (stopping) {
      log.warn({ signal }, "second signal: exiting without finishing the shutdown");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, timeoutMs }, "finishing live calls, draining connections and shutting down");
    const deadline = setTimeout(() => {
      log.error({ timeoutMs }, "shutdown did not finish within SHUTDOWN_TIMEOUT_MS; exiting");
      process.exit(1);
    }, timeoutMs);
    app.close().then(
      () => {
        clearTimeout(deadline);
        log.info("shutdown complete");
        process.exit(0);
      },
      (error) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  const { url } = app.server;
  const database = config.database.kind === "sqlite" ? `SQLite at ${config.database.file}` : "MySQL/MariaDB (DATABASE_URL)";
  log.info(
    { nodeEnv: config.nodeEnv, database, redis: Boolean(config.redisUrl), subscriptions: url.replace(/^http/, "ws") },
    `callvault listening on ${url} (graphql-ws subscriptions on the same path; connectionParams.authorization = "Bearer <token>")`,
  );
  log.info(`web console: ${url.replace(/\/graphql$/, "/")}`);
  if (config.nodeEnv !== "production") log.info(`Apollo Sandbox: open ${url} in a browser`);
  if (config.jwt.mode === "secret") log.info("get a token: npm run token -- alice@callvault.test (then send Authorization: Bearer <token>)");
}

main().catch((error) => {
  // A configuration problem is a message for a person, not a fault: plain text on stderr.
  if (error instanceof ConfigError || error instanceof ObjectStoreUnavailableError) console.error(error.message);
  else (logger ?? createLogger("info")).fatal({ err: error }, "callvault failed to start");
  process.exit(1);
});
