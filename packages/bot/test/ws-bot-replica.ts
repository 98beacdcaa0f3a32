/**
 * A `WeComBot` replica in its own process for the replica tests: the long connection with the
 * leader lease on Redis. Answers every text with `from <OWNER>: <text>`. Prints `leader`,
 * `subscribed`, `standby` and `started` lines on stdout. Configured by environment variables.
 */
import { createRedisStore } from '@maven/wecom-redis';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { type WebSocketConstructor, WeComBot, type WsLeader } from '../src/index.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const client = new Redis(env('REDIS_URL'));
client.on('error', () => {});
const owner = env('OWNER');
const bot = new WeComBot({
  store: createRedisStore({ client, prefix: env('REDIS_PREFIX') }),
  connection: {
    mode: 'websocket',
    botId: env('BOT_ID'),
    secret: env('BOT_SECRET'),
    url: env('WS_URL'),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    reconnect: { baseMs: 20, maxMs: 100 },
    leader: { owner, leaseTtlMs: Number(env('LEASE_TTL_MS')), checkEveryMs: Number(env('CHECK_EVERY_MS')) },
  },
});
bot.on('text', (m, ctx) => void ctx.reply(`from ${owner}: ${m.text}`));
const leader = bot.connection as WsLeader;
leader.on('leader', () => process.stdout.write('leader\n'));
leader.on('subscribed', () => process.stdout.write('subscribed\n'));
leader.on('standby', () => process.stdout.write('standby\n'));
await bot.start();
process.stdout.write('started\n');
