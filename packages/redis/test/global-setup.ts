/**
 * Finds (or starts) the test Redis once for the whole run and hands it to the test workers through
 * the environment, so a private redis-server is started once and the skip line is printed once.
 */
import { announceSkip, getTestRedis, redisRequired } from './redis-server.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const redis = await getTestRedis();
  if (redis.skipReason) {
    if (redisRequired())
      throw new Error(`Redis is required (WECOM_REQUIRE_REDIS=1) but unavailable: ${redis.skipReason}`);
    announceSkip(redis.skipReason);
    process.env.WECOM_TEST_REDIS_SKIP = redis.skipReason;
  } else {
    process.env.WECOM_TEST_REDIS_URL = redis.url;
  }
  return () => redis.stop();
}
