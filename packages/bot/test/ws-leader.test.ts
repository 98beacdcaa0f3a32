/**
 * One live long connection across replicas, on the real Redis (127.0.0.1:6379): exactly one
 * replica holds the lease and the connection; when the holder dies (closed without releasing, or a
 * child process killed with SIGKILL) the other connects within the stated bound; no kick loop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRedisStore, type RedisStore } from '@maven/wecom-redis';
import { botText, startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WsConnection, WsLeader } from '../src/index.ts';
import { BOT, NodeWebSocket, SECRET, sleep, until } from './ws-helpers.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const TTL = 600;
const CHECK = 150;

let sim: WeComSimulator;
let client: Redis;
let store: RedisStore;
let prefix: string;
const leaders: WsLeader[] = [];
const children: ChildProcess[] = [];

function replica(owner: string): WsLeader {
  const leader = new WsLeader({
    store,
    owner,
    leaseTtlMs: TTL,
    checkEveryMs: CHECK,
    connection: {
      botId: BOT,
      secret: SECRET,
      url: sim.wsUrl,
      WebSocket: NodeWebSocket,
      reconnect: { baseMs: 20, maxMs: 100 },
    },
  });
  leaders.push(leader);
  return leader;
}

beforeEach(async () => {
  sim = await startWeComSimulator({ bots: [{ botId: BOT, secret: SECRET }] });
  client = new Redis(REDIS_URL);
  client.on('error', () => {});
  prefix = `wecom-ws-test:${randomBytes(6).toString('hex')}:`;
  store = createRedisStore({ client, prefix });
});

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const l of leaders.splice(0)) await l.close({ timeoutMs: 100 });
  await sim.close();
  client.disconnect();
});

const okSubscribes = () => sim.ws.subscribes(BOT).filter((s) => s.errcode === 0);

describe('leader lease on Redis', () => {
  it('exactly one of two replicas holds the connection, with no kick loop', async () => {
    const a = replica('a');
    const b = replica('b');
    await Promise.all([a.start(), b.start()]);
    await sim.ws.waitForSubscribe(BOT);
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    // Many lease periods: the other replica never subscribes, nobody is kicked.
    await sleep(TTL * 4);
    expect(okSubscribes()).toHaveLength(1);
    expect(sim.ws.frames({ cmd: 'aibot_subscribe' })).toHaveLength(1);
    expect(await store.get(`ws-leader:${BOT}`)).toBe(a.isLeader ? 'a' : 'b');
    // Messages reach the holder once.
    const holder = a.isLeader ? a : b;
    let seen = 0;
    a.onCallback(() => {
      seen++;
    });
    b.onCallback(() => {
      seen++;
    });
    sim.ws.push(BOT, botText({ content: 'hi' }) as unknown as Record<string, unknown>);
    await until(() => seen === 1);
    await expect((holder === a ? b : a).send('aibot_send_msg', {})).rejects.toMatchObject({
      code: 'not_connected',
    });
  });

  it('the standby connects within the bound after the holder dies without releasing', async () => {
    const a = replica('a');
    await a.start();
    await sim.ws.waitForSubscribe(BOT);
    const b = replica('b');
    await b.start();
    expect(b.isLeader).toBe(false);
    const diedAt = Date.now();
    await a.close({ releaseLease: false, timeoutMs: 0 });
    await sim.ws.waitForSubscribe(BOT, { count: 2, timeoutMs: b.takeoverBoundMs + 2000 });
    expect(Date.now() - diedAt).toBeLessThanOrEqual(b.takeoverBoundMs + 2000);
    expect(b.isLeader).toBe(true);
    expect(okSubscribes()).toHaveLength(2);
  });

  it('a kicked holder stands by while another holds the lease, and reconnects once nobody does', async () => {
    const a = replica('a');
    await a.start();
    await sim.ws.waitForSubscribe(BOT);
    const standby: string[] = [];
    a.on('standby', (info) => standby.push(info.reason));
    // An outsider without the lease subscribes: WeCom kicks the holder.
    const outsider = new WsConnection({
      botId: BOT,
      secret: SECRET,
      url: sim.wsUrl,
      WebSocket: NodeWebSocket,
    });
    await outsider.start();
    await until(() => standby.length === 1);
    expect(a.isLeader).toBe(false);
    // While another replica holds the lease, the kicked one does not come back.
    await store.set(`ws-leader:${BOT}`, 'c', { ttlMs: TTL * 3 });
    await sleep(TTL * 2);
    expect(okSubscribes()).toHaveLength(2);
    // Once the lease lapses and nobody holds it, it reconnects (and the outsider is the one kicked).
    await sim.ws.waitForSubscribe(BOT, { count: 3, timeoutMs: TTL * 3 + a.takeoverBoundMs + 2000 });
    expect(a.isLeader).toBe(true);
    await until(() => outsider.state === 'replaced');
    await sleep(TTL * 2);
    expect(okSubscribes()).toHaveLength(3);
    await outsider.close();
  });

  it('a replica process killed with SIGKILL is replaced within the bound', async () => {
    const script = fileURLToPath(new URL('./ws-replica.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: {
        ...process.env,
        REDIS_URL,
        REDIS_PREFIX: prefix,
        OWNER: 'child',
        LEASE_TTL_MS: String(TTL),
        CHECK_EVERY_MS: String(CHECK),
        BOT_ID: BOT,
        BOT_SECRET: SECRET,
        WS_URL: sim.wsUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await sim.ws.waitForSubscribe(BOT, { timeoutMs: 20_000 });
    expect(out).toContain('leader');
    const b = replica('b');
    await b.start();
    expect(b.isLeader).toBe(false);
    // The child answers a message while it holds the connection.
    const first = sim.ws.push(BOT, botText({ content: 'one' }) as unknown as Record<string, unknown>);
    expect(first.delivered).toBe(true);
    const [reply] = await sim.ws.waitForReply(first.reqId).catch((e: Error) => {
      throw new Error(
        `${e.message}; child said: ${out}; frames: ${JSON.stringify(sim.ws.frames({ reqId: first.reqId }))}`,
      );
    });
    expect(reply?.body).toMatchObject({ markdown: { content: 'from child' } });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await sim.ws.waitForSubscribe(BOT, { count: 2, timeoutMs: b.takeoverBoundMs + 3000 });
    expect(b.isLeader).toBe(true);
    let answered = 0;
    b.onCallback(async (frame) => {
      await b.respond(frame.reqId, { msgtype: 'markdown', markdown: { content: 'from b' } });
      answered++;
    });
    const second = sim.ws.push(BOT, botText({ content: 'two' }) as unknown as Record<string, unknown>);
    expect(second.delivered).toBe(true);
    await sim.ws.waitForReply(second.reqId).catch((e: Error) => {
      throw new Error(
        `${e.message}; ${JSON.stringify(sim.ws.frames().map((f) => [f.connection, f.cmd, f.reqId, f.answer]))} ${JSON.stringify(sim.ws.pushes())}`,
      );
    });
    await until(() => answered === 1);
    await sleep(TTL * 2);
    expect(okSubscribes()).toHaveLength(2);
  }, 30_000);
});
