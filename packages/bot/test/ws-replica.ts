/**
 * A bot replica in its own process for the lease tests: a `WsLeader` on Redis. Prints `leader`,
 * `subscribed` and `standby` lines on stdout. Configured by environment variables.
 */
import { createRedisStore } from '@maven/wecom-redis';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { type WebSocketConstructor, WsLeader } from '../src/index.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const client = new Redis(env('REDIS_URL'));
client.on('error', () => {});
const store = createRedisStore({ client, prefix: env('REDIS_PREFIX') });
const leader = new WsLeader({
  store,
  owner: env('OWNER'),
  leaseTtlMs: Number(env('LEASE_TTL_MS')),
  checkEveryMs: Number(env('CHECK_EVERY_MS')),
  connection: {
    botId: env('BOT_ID'),
    secret: env('BOT_SECRET'),
    url: env('WS_URL'),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  },
});
leader.on('leader', () => process.stdout.write('leader\n'));
leader.on('subscribed', () => process.stdout.write('subscribed\n'));
leader.on('standby', () => process.stdout.write('standby\n'));
leader.onCallback((frame) => {
  void leader.respond(frame.reqId, { msgtype: 'markdown', markdown: { content: `from ${env('OWNER')}` } });
});
await leader.start();
process.stdout.write('started\n');
