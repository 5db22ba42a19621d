import "reflect-metadata";
import { closeServices, createServices } from "../app";
import { ConfigError, loadConfig } from "../config/config";

/** Prints a bearer token for a user, for local use: npm run token -- alice@callvault.test [ttlSeconds] */
async function main(): Promise<void> {
  const [reference, ttl] = process.argv.slice(2);
  if (!reference) throw new Error("usage: npm run token -- <email or user id> [ttlSeconds]");
  const services = await createServices({ ...loadConfig(), redisUrl: undefined });
  try {
    const user = await services.users.findByReference(reference);
    if (!user) throw new Error(`no user ${reference}; start the service once to seed the demo users, or create one with createUser`);
    console.log(await services.tokens.mint(user.id, ttl ? Number(ttl) : undefined));
  } finally {
    await closeServices(services);
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
});
