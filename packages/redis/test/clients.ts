/** Real ioredis and node-redis clients for the tests, with fast reconnects and a quiet error listener. */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { RedisClientKind, RedisClientLike } from '../src/index.ts';

export const KINDS: RedisClientKind[] = ['ioredis', 'node-redis'];

export interface TestClient {
  client: RedisClientLike;
  /** Quits (or, when that fails, drops) the connection; safe to call twice. */
  close(): Promise<void>;
  /** True while the connection is usable or being re-established. */
  isOpen(): boolean;
}

export interface ClientOptions {
  /** Do not wait for the connection (node-redis: connect() in the background). */
  background?: boolean;
}

export function newIoRedis(url: string): Redis {
  // retryStrategy: reconnect every 50 ms, so a restarted server is found quickly.
  const client = new Redis(url, { retryStrategy: () => 50, connectTimeout: 500 });
  // Without a listener ioredis prints every connection error; tests provoke them on purpose.
  client.on('error', () => {});
  return client;
}

function newNodeRedis(url: string) {
  const client = createClient({ url, socket: { reconnectStrategy: () => 50, connectTimeout: 500 } });
  // node-redis re-throws 'error' events nobody listens to, which would crash the worker.
  client.on('error', () => {});
  return client;
}

export async function connectClient(
  kind: RedisClientKind,
  url: string,
  options: ClientOptions = {},
): Promise<TestClient> {
  if (kind === 'ioredis') {
    const client = newIoRedis(url);
    return {
      client,
      // quit()/disconnect() mark the client as closing at once; the status follows a tick later.
      isOpen: () =>
        client.status !== 'end' && !(client as unknown as { manuallyClosing?: boolean }).manuallyClosing,
      close: async () => {
        if (client.status === 'end') return;
        client.disconnect();
      },
    };
  }
  const client = newNodeRedis(url);
  const connecting = client.connect();
  if (options.background) connecting.catch(() => {});
  else await connecting;
  return {
    client,
    isOpen: () => client.isOpen,
    close: async () => {
      if (client.isOpen) client.destroy();
    },
  };
}

export function uniquePrefix(label: string): string {
  return `wecom-test:${label}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}:`;
}
