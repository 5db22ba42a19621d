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
    const ttlSeconds = ttl ? Number(ttl) : services.tokens.defaultTtlSeconds;
    console.log(await services.tokens.mint(user.id, ttlSeconds));
    // On stderr, so `$(npm run token …)` still captures only the token.
    console.error(`token for ${user.email} valid for ${formatLifetime(ttlSeconds)}, until ${new Date(Date.now() + ttlSeconds * 1000).toISOString()} (TOKEN_MAX_AGE: ${formatLifetime(services.tokens.maxAgeSeconds)})`);
  } finally {
    await closeServices(services);
  }
}

function formatLifetime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h && `${h} h`, m && `${m} min`, s && `${s} s`].filter(Boolean).join(" ") || "0 s";
}

main().catch((error) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
});
