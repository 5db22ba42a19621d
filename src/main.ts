import "reflect-metadata";
import { createApp } from "./app";
import { ConfigError, loadConfig } from "./config/config";
import { ObjectStoreUnavailableError } from "./storage/s3-object-store";

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  const { url } = app.server;
  const database = config.database.kind === "sqlite" ? `SQLite at ${config.database.file}` : "MySQL/MariaDB (DATABASE_URL)";
  console.log(`callvault listening on ${url}  (${config.nodeEnv}, ${database}${config.redisUrl ? ", events via Redis" : ""})`);
  console.log(`  subscriptions: ${url.replace(/^http/, "ws")}   (graphql-ws; connectionParams.authorization = "Bearer <token>")`);
  if (config.nodeEnv !== "production") console.log(`  Apollo Sandbox: open ${url} in a browser`);
  if (config.jwt.mode === "secret") {
    console.log(`  get a token:   npm run token -- alice@callvault.test   (then set the header Authorization: Bearer <token>)`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining connections and shutting down`);
    await app.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error) => {
  if (error instanceof ConfigError || error instanceof ObjectStoreUnavailableError) console.error(error.message);
  else console.error("callvault failed to start:", error);
  process.exit(1);
});
