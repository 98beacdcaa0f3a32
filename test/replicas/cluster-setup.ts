/**
 * The replicas suite's Redis, as a real 3-master Redis Cluster: started once for the run, handed to
 * the tests as `WECOM_TEST_REDIS_URL=redis://<one node>?cluster=true` (the examples then open an
 * ioredis Cluster), stopped and cleaned up afterwards. Without redis-server the files skip with one
 * loud line, or fail under WECOM_REQUIRE_REDIS=1.
 */
import { startRedisCluster } from '../../packages/redis/test/redis-cluster.ts';
import { announceSkip, redisRequired } from '../../packages/redis/test/redis-server.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const cluster = await startRedisCluster();
  const seed = cluster.nodes[0];
  if (cluster.skipReason || !seed) {
    const reason = cluster.skipReason ?? 'the Redis Cluster has no nodes';
    if (redisRequired())
      throw new Error(`Redis is required (WECOM_REQUIRE_REDIS=1) but unavailable: ${reason}`);
    announceSkip(reason);
    process.env.WECOM_TEST_REDIS_SKIP = reason;
  } else {
    process.env.WECOM_TEST_REDIS_URL = `redis://${seed.host}:${seed.port}?cluster=true`;
  }
  return () => cluster.stop();
}
