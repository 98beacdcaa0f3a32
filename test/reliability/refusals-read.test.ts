/**
 * Every refusal reaches the client on the fetch port running on Node (Hono on @hono/node-server,
 * the server in its own process): bodies over the bot's 1 MiB cap (a hostile 100k-deep JSON)
 * refused with 413 while the client is still sending them, on 32 keep-alive connections, mixed with
 * small refused app callbacks on the same connections. When the fetch port cancelled the refused
 * body at once, the server closed the socket with bytes unread and a few clients in a thousand read
 * a reset in place of their 413 (7 and 41 in 1,500 in two runs on a loaded machine before the drain; none on an idle one): hence the count.
 */
import { Agent, request } from 'node:http';
import { expect, it } from 'vitest';
import { signedQuery } from './lib/frames.ts';
import { runPool, startServerChild } from './lib/harness.ts';
import { APP, APP_PATH, BOT, BOT_PATH } from './lib/keys.ts';

const REQUESTS = 2000;
const CONNECTIONS = 32;

function post(agent: Agent, port: number, path: string, type: string, body: Buffer): Promise<string> {
  return new Promise((done) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        agent,
        headers: { 'content-type': type, 'content-length': String(body.length) },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(String(res.statusCode)));
        res.on('error', () => done(String(res.statusCode)));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => done(`no answer read (${error.code})`));
    req.end(body);
  });
}

it(`hono: ${REQUESTS} refusals (half of them 1.3 MB bodies over the cap) on ${CONNECTIONS} keep-alive connections, every one read`, async () => {
  const child = await startServerChild({
    adapter: 'hono',
    apiBase: 'http://127.0.0.1:9',
    logLevel: 'silent',
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const oversize = Buffer.from(`${'{"__proto__":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
  const small = Buffer.from(`<xml>${'['.repeat(40_000)}</xml>`);
  const answers: Record<string, number> = {};
  try {
    await runPool(REQUESTS, CONNECTIONS, async (i) => {
      const bot = i % 2 === 0;
      const answer = bot
        ? await post(
            agent,
            child.port,
            `${BOT_PATH}?${signedQuery(BOT.token, 'abc')}`,
            'application/json',
            oversize,
          )
        : await post(agent, child.port, `${APP_PATH}?${signedQuery(APP.token, 'abc')}`, 'text/xml', small);
      const key = `${bot ? 'bot' : 'app'} ${answer}`;
      answers[key] = (answers[key] ?? 0) + 1;
    });
  } finally {
    agent.destroy();
    await child.stop();
  }
  expect(answers).toEqual({ 'bot 413': REQUESTS / 2, 'app 400': REQUESTS / 2 });
});
