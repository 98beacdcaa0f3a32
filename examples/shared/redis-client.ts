/**
 * The Redis client both examples open for `--redis URL`. `?cluster=true` makes the URL one node of
 * a Redis Cluster (the client finds the others). The client library is passed in by the example
 * (it is the example's own dependency), so this file imports nothing.
 */

interface RedisClientLike {
  on(event: 'error', listener: (error: Error) => void): unknown;
  connect(): Promise<unknown>;
  ping(): Promise<unknown>;
  disconnect(): void;
}

export interface RedisConnectors<C extends RedisClientLike> {
  /** One server, e.g. `(url, options) => new Redis(url, options)`. */
  single(url: string, options: Record<string, unknown>): C;
  /** A cluster, e.g. `(nodes, options) => new Cluster(nodes, options)`. */
  cluster(nodes: { host: string; port: number }[], options: Record<string, unknown>): C;
}

/** The URL with its credentials masked, for messages. */
export function maskRedisUrl(url: string): string {
  const shown = new URL(url);
  shown.username = shown.username ? '***' : '';
  shown.password = shown.password ? '***' : '';
  return shown.href;
}

/** Connects and pings; a Redis that cannot be reached is an error naming the masked URL. */
export async function connectRedis<C extends RedisClientLike>(
  url: string,
  logger: { debug(message: string, fields?: Record<string, unknown>): void },
  connectors: RedisConnectors<C>,
): Promise<C> {
  const target = new URL(url);
  const cluster = target.searchParams.get('cluster') === 'true';
  target.searchParams.delete('cluster');
  const base = { maxRetriesPerRequest: 1, connectTimeout: 5_000 };
  const client = cluster
    ? connectors.cluster([{ host: target.hostname, port: Number(target.port || 6379) }], {
        lazyConnect: true,
        redisOptions: {
          ...base,
          ...(target.username ? { username: decodeURIComponent(target.username) } : {}),
          ...(target.password ? { password: decodeURIComponent(target.password) } : {}),
          ...(target.protocol === 'rediss:' ? { tls: {} } : {}),
        },
      })
    : connectors.single(target.href, { ...base, lazyConnect: true });
  client.on('error', (error: Error) => logger.debug('redis client error', { error }));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(`cannot reach Redis at ${maskRedisUrl(url)}: ${(error as Error).message}`);
  }
  return client;
}
