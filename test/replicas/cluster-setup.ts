/**
 * The replicas suite's Redis, as a real 3-master Redis Cluster: started once for the run, handed to
 * this project's test files as `redis://<one node>?cluster=true` through `provide` (not the
 * environment, which every project's global setup shares), stopped and cleaned up afterwards. The
 * examples open an ioredis Cluster for such a URL. Without redis-server or redis-cli the files skip
 * with one loud line, or fail under WECOM_REQUIRE_REDIS=1.
 */
import type { TestProject } from 'vitest/node';
import { startRedisCluster } from '../../packages/redis/test/redis-cluster.ts';
import { redisRequired } from '../../packages/redis/test/redis-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by cluster-setup.ts: the cluster's URL, or why there is none. */
    redisCluster: { url: string } | { skipReason: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startRedisCluster();
  const seed = cluster.nodes[0];
  if (cluster.skipReason || !seed) {
    const reason = cluster.skipReason ?? 'the Redis Cluster has no nodes';
    if (redisRequired())
      throw new Error(`Redis is required (WECOM_REQUIRE_REDIS=1) but unavailable: ${reason}`);
    project.provide('redisCluster', { skipReason: reason });
  } else {
    project.provide('redisCluster', { url: `redis://${seed.host}:${seed.port}?cluster=true` });
  }
  return () => cluster.stop();
}
