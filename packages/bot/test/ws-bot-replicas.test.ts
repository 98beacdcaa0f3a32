/**
 * Two `WeComBot` replicas in their own processes on the real Redis (127.0.0.1:6379), both in
 * websocket mode with the leader lease: exactly one holds the connection; kill -9 of the holder →
 * the other connects within `leaseTtlMs + checkEveryMs` (+ a subscribe round trip); no kick loop
 * (subscribes counted over 30 s); every message the simulator delivered is answered exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { botText, startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BOT, SECRET, sleep, until } from './ws-helpers.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const TTL = 600;
const CHECK = 150;
/** The stated bound: lease TTL + one check, plus one subscribe round trip (generous for a busy CI box). */
const TAKEOVER_BOUND_MS = TTL + CHECK + 1000;

let sim: WeComSimulator;
const replicas = new Map<string, { child: ChildProcess; out: string[] }>();

function start(owner: string, prefix: string): void {
  const script = fileURLToPath(new URL('./ws-bot-replica.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: {
      ...process.env,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      OWNER: owner,
      LEASE_TTL_MS: String(TTL),
      CHECK_EVERY_MS: String(CHECK),
      BOT_ID: BOT,
      BOT_SECRET: SECRET,
      WS_URL: sim.wsUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(...d.toString().split('\n').filter(Boolean)));
  child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
  replicas.set(owner, { child, out });
}

const okSubscribes = () => sim.ws.subscribes(BOT).filter((s) => s.errcode === 0);

/** Pushes a text and returns the answers it got (waits for the first one). */
async function ask(text: string): Promise<{ delivered: boolean; answers: string[] }> {
  const push = sim.ws.push(BOT, botText({ content: text }) as unknown as Record<string, unknown>);
  if (!push.delivered) return { delivered: false, answers: [] };
  await sim.ws.waitForReply(push.reqId);
  return {
    delivered: true,
    answers: sim.ws
      .frames({ reqId: push.reqId })
      .map((f) => (f.body.stream as { content: string } | undefined)?.content ?? ''),
  };
}

beforeAll(async () => {
  sim = await startWeComSimulator({ bots: [{ botId: BOT, secret: SECRET }] });
});

afterAll(async () => {
  for (const { child } of replicas.values()) child.kill('SIGKILL');
  await sim.close();
});

it('one holder, kill -9 → the other takes over in the bound, no kick loop over 30 s, each message answered once', async () => {
  const prefix = `wecom-ws-bot-test:${randomBytes(6).toString('hex')}:`;
  start('a', prefix);
  start('b', prefix);
  await until(
    () => [...replicas.values()].every((r) => r.out.includes('started')),
    20_000,
    'both replicas started',
  );
  await sim.ws.waitForSubscribe(BOT, { timeoutMs: 5000 });
  // Several lease periods: the standby must not subscribe (it would kick the holder).
  await sleep(TTL * 3);
  expect(okSubscribes()).toHaveLength(1);
  const holders = [...replicas.entries()].filter(([, r]) => r.out.includes('subscribed')).map(([o]) => o);
  expect(holders).toHaveLength(1);
  const holder = holders[0]!;
  const other = holder === 'a' ? 'b' : 'a';

  for (let i = 0; i < 5; i++) {
    const { delivered, answers } = await ask(`before ${i}`);
    expect(delivered).toBe(true);
    expect(answers).toEqual([`from ${holder}: before ${i}`]);
  }

  const dead = replicas.get(holder)!.child;
  const exited = new Promise((resolve) => dead.once('exit', resolve));
  dead.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();
  await sim.ws.waitForSubscribe(BOT, { count: 2, timeoutMs: TAKEOVER_BOUND_MS + 2000 });
  const takeoverMs = Date.now() - killedAt;
  expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
  expect(okSubscribes()).toHaveLength(2);
  await until(() => sim.ws.connected(BOT), 2000, 'connected');

  // 30 s on the survivor: messages keep being answered once each, and nobody subscribes again.
  const windowStart = okSubscribes().length;
  const end = Date.now() + 30_000;
  let n = 0;
  while (Date.now() < end) {
    const { delivered, answers } = await ask(`after ${n}`);
    expect(delivered).toBe(true);
    expect(answers).toEqual([`from ${other}: after ${n}`]);
    n++;
    await sleep(1000);
  }
  expect(okSubscribes().length - windowStart).toBe(0);
  expect(sim.ws.subscribes(BOT).filter((s) => s.errcode !== 0)).toEqual([]);
  expect(n).toBeGreaterThan(10);
  console.info(
    `[replicas] takeover after kill -9: ${takeoverMs} ms (bound ${TAKEOVER_BOUND_MS} ms); subscribes in 30 s after it: 0; messages answered once: ${5 + n}`,
  );
}, 90_000);
