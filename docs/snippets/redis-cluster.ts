// Several replicas on a Redis Cluster: the store needs no other setting (every operation touches one key).
import { createRedisStore } from '@maven/wecom-redis';
import { Cluster } from 'ioredis';

const cluster = new Cluster([{ host: 'redis-0', port: 6379 }], { redisOptions: { maxRetriesPerRequest: 1 } });
cluster.on('error', (error) => console.warn('redis:', error.message));
export const store = createRedisStore({ client: cluster, prefix: 'prod:' });
