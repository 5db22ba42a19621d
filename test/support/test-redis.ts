import Redis from "ioredis";

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";

/** A client connected to the tests' Redis, or a failure that says what to start or set. */
export async function connectTestRedis(): Promise<Redis> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect().catch((error) => {
    throw new Error(`Redis is not reachable at ${TEST_REDIS_URL} (${error.message}); start it or set TEST_REDIS_URL`);
  });
  return redis;
}
