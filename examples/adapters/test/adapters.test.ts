/**
 * Each adapter example as a real child process — Express, Koa and Hono on Node (tsx), the
 * `export default { fetch }` module on Bun — driven by the simulated WeCom over real HTTP: URL
 * verification and a text round trip for the AI bot and for a self-built app, /health, SIGTERM.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type RunningChild, spawnExample, startExample } from '../../test-support/child.js';
import { randomEncodingAESKey } from '../../test-support/fixtures.js';

const BOT = { token: 'adapterBot', encodingAESKey: randomEncodingAESKey() };
const APP = {
  corpId: 'ww_adapters',
  agentId: 1000009,
  token: 'adapterApp',
  encodingAESKey: randomEncodingAESKey(),
};
const ENV = {
  WECOM_BOT_TOKEN: BOT.token,
  WECOM_BOT_AES_KEY: BOT.encodingAESKey,
  WECOM_CORP_ID: APP.corpId,
  WECOM_AGENT_ID: String(APP.agentId),
  WECOM_APP_TOKEN: APP.token,
  WECOM_APP_AES_KEY: APP.encodingAESKey,
  HOST: '127.0.0.1',
};

/** Bun's binary from its platform package (pnpm runs no install scripts, so `bun`'s own shim is not set up). */
function bunBinary(): string {
  const root = createRequire(join(REPO_ROOT, 'test', 'runtimes', 'package.json'));
  const wrapper = createRequire(root.resolve('bun/package.json'));
  const dir = dirname(wrapper.resolve(`@oven/bun-${process.platform}-${process.arch}/package.json`));
  const file = join(dir, 'bin', process.platform === 'win32' ? 'bun.exe' : 'bun');
  if (!existsSync(file)) throw new Error(`Bun binary not found at ${file}`);
  return file;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Bun serves the default export after loading the module: wait until /health answers. */
async function waitForHealth(child: RunningChild, origin: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      if ((await fetch(`${origin}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the Bun example never answered /health\n${child.output()}`);
}

interface Running {
  child: RunningChild;
  origin: string;
}

let sim: WeComSimulator;
const examples = new Map<string, Running>();

beforeAll(async () => {
  sim = await startWeComSimulator();
  const node = ['express', 'koa', 'fastify', 'hono-node'].map(async (name) => {
    const child = await startExample(`examples/adapters/src/${name}.ts`, [], { env: { ...ENV, PORT: '0' } });
    examples.set(name, { child, origin: child.origin });
  });
  const bun = (async () => {
    const port = await freePort();
    const child = spawnExample('examples/adapters/src/hono-fetch.ts', [], {
      env: { ...ENV, PORT: String(port) },
      command: { file: bunBinary(), args: [] },
    });
    const origin = `http://127.0.0.1:${port}`;
    await waitForHealth(child, origin);
    examples.set('hono-fetch (Bun)', { child, origin });
  })();
  await Promise.all([...node, bun]);
}, 60_000);

afterAll(async () => {
  await Promise.all([...examples.values()].map(({ child }) => child.stop('SIGKILL')));
  await sim?.close();
});

describe.each(['express', 'koa', 'fastify', 'hono-node', 'hono-fetch (Bun)'])('%s example', (name) => {
  const get = () => examples.get(name)!;

  it('answers /health', async () => {
    const res = await fetch(`${get().origin}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('AI bot: URL verification and a text round trip (passive reply)', async () => {
    const bot = sim.bot(BOT);
    const url = `${get().origin}/wecom/bot`;
    expect((await bot.verify(url)).ok).toBe(true);
    const res = await bot.send(url, `hi ${name}`);
    expect(res.status).toBe(200);
    expect(res.reply).toMatchObject({
      msgtype: 'stream',
      stream: { finish: true, content: `echo: hi ${name}` },
    });
  });

  it('self-built app: URL verification and a text round trip (passive reply)', async () => {
    const app = sim.app(APP);
    const url = `${get().origin}/wecom/callback`;
    expect((await app.verify(url)).ok).toBe(true);
    const res = await app.send(url, `hello ${name}`);
    expect(res.status).toBe(200);
    expect(res.reply?.message).toMatchObject({ MsgType: 'text', Content: `echo: hello ${name}` });
  });

  it('leaves other routes to the framework (404) and stops on SIGTERM', async () => {
    expect((await fetch(`${get().origin}/elsewhere`)).status).toBe(404);
    const exit = await get().child.stop('SIGTERM');
    // The Node examples drain and exit 0; Bun's built-in server ends on the signal itself.
    expect(exit).toEqual(
      name.includes('Bun') ? { code: null, signal: 'SIGTERM' } : { code: 0, signal: null },
    );
  });
});
