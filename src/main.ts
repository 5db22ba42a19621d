import "reflect-metadata";
import { createApp } from "./app";
import { ConfigError, DEFAULT_OPERATIONS, loadConfig } from "./config/config";

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  // Handlers first: whoever reads the "listening" line may signal at once.
  const timeoutMs = (config.operations ?? DEFAULT_OPERATIONS).shutdownTimeoutMs;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal means "now": the operator (or the orchestrator) gave up waiting.
    if (stopping) {
      console.error(`${signal} again: exiting without finishing the shutdown`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: finishing live calls, draining connections and shutting down (at most ${timeoutMs} ms)`);
    const deadline = setTimeout(() => {
      console.error(`shutdown did not finish within ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS); exiting`);
      process.exit(1);
    }, timeoutMs);
    app.close().then(
      () => {
        clearTimeout(deadline);
        console.log("shutdown complete");
        process.exit(0);
      },
      (error) => {
        console.error("shutdown failed", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  const { url } = app.server;
  const database = config.database.kind === "sqlite" ? `SQLite at ${config.database.file}` : "MySQL/MariaDB (DATABASE_URL)";
  console.log(`callvault listening on ${url}  (${config.nodeEnv}, ${database}${config.redisUrl ? ", events via Redis" : ""})`);
  console.log(`  subscriptions: ${url.replace(/^http/, "ws")}   (graphql-ws; connectionParams.authorization = "Bearer <token>")`);
  if (config.nodeEnv !== "production") console.log(`  Apollo Sandbox: open ${url} in a browser`);
  if (config.jwt.mode === "secret") {
    console.log(`  get a token:   npm run token -- alice@callvault.test   (then set the header Authorization: Bearer <token>)`);
  }
}

main().catch((error) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error("callvault failed to start:", error);
  process.exit(1);
});
