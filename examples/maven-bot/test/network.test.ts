/**
 * examples/maven-bot on the network as a real child process: the default bind (all interfaces,
 * like the reference) and `channels.wecom.proxy` through real proxy servers on loopback (HTTP
 * CONNECT and SOCKS5) that count the tunnels and bytes the response_url reply and the media
 * download make through them.
 */
import { botImage, startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedExample, startExample } from '../../test-support/child.js';
import { PNG_1X1, randomEncodingAESKey, type TempDir, tempDir } from '../../test-support/fixtures.js';
import { type CountingProxy, startConnectProxy, startSocks5Proxy } from '../../test-support/proxies.js';

const ENTRY = 'examples/maven-bot/src/main.ts';
const TOKEN = 'networkToken7';
const KEY = randomEncodingAESKey();

let sim: WeComSimulator;
let dir: TempDir;

function configFile(name: string, proxy: string): string {
  const wecom = { enabled: true, token: TOKEN, encodingAESKey: KEY, receiveId: '', port: 9886, proxy };
  return dir.write(name, JSON.stringify({ channels: { wecom } }));
}

beforeAll(async () => {
  sim = await startWeComSimulator();
  dir = tempDir('maven-bot-network-');
});

afterAll(async () => {
  await sim?.close();
  dir?.remove();
});

describe('default bind', () => {
  let gw: StartedExample;
  afterAll(async () => {
    await gw?.stop('SIGKILL');
  });

  it('listens on all interfaces without --host (IPv4 and IPv6 loopback both answer)', async () => {
    gw = await startExample(ENTRY, ['--config', configFile('bind.json', ''), '--port', '0']);
    const port = new URL(gw.url).port;
    const ready = gw.stderr.find((line) => line.includes('WeCom channel ready'));
    expect(ready).toContain('"host":"all interfaces"');
    for (const host of ['127.0.0.1', '[::1]']) {
      const res = await fetch(`http://${host}:${port}/health`);
      expect(res.status, host).toBe(200);
    }
  });
});

const PROXIES: [string, () => Promise<CountingProxy>, string, string][] = [
  [
    'HTTP CONNECT',
    startConnectProxy,
    'http://',
    `Basic ${Buffer.from('proxyuser:proxy pw').toString('base64')}`,
  ],
  ['SOCKS5', startSocks5Proxy, 'socks5://', 'proxyuser:proxy pw'],
];

describe.each(PROXIES)('channels.wecom.proxy through a real %s proxy', (_label, start, scheme, seen) => {
  let proxy: CountingProxy;
  let gw: StartedExample;

  beforeAll(async () => {
    proxy = await start();
    const withCredentials = proxy.url.replace(scheme, `${scheme}proxyuser:proxy%20pw@`);
    gw = await startExample(ENTRY, [
      '--config',
      configFile(`proxy-${scheme.replace(/\W/g, '')}.json`, withCredentials),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--media-base',
      sim.url,
    ]);
  });

  afterAll(async () => {
    await gw?.stop('SIGKILL');
    await proxy?.close();
  });

  it('sends the response_url reply and downloads media through the proxy, with its credentials', async () => {
    const simHost = new URL(sim.url).host;
    const bot = sim.bot({ token: TOKEN, encodingAESKey: KEY });
    const ready = gw.stderr.find((line) => line.includes('WeCom channel ready')) ?? '';
    // The proxy URL is logged without its credentials.
    expect(ready).not.toContain('proxy%20pw');
    expect(ready).toContain(`${scheme}***:***@127.0.0.1`);

    const text = await bot.send(gw.url, 'through the proxy');
    const reply = await sim.waitForResponse(text.responseUrl!);
    expect(reply.body).toEqual({ msgtype: 'markdown', markdown: { content: 'echo: through the proxy' } });
    expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
    expect(proxy.tunnels.every((t) => t === simHost)).toBe(true);
    expect(proxy.credentials[0]).toBe(seen);
    const afterText = proxy.bytes();
    expect(afterText).toBeGreaterThan(0);

    const url = sim.putMedia(PNG_1X1, { encodingAESKey: KEY, contentType: 'image/png' });
    const image = await bot.send(gw.url, botImage({ url }));
    const imageReply = await sim.waitForResponse(image.responseUrl!);
    expect((imageReply.body as { markdown: { content: string } }).markdown.content).toMatch(
      /^image: image\/png 70 → base64 block iVBORw0KGgoAAAAN… \(96 chars\)$/,
    );
    // The encrypted image (at least its 70 bytes, padded to 80) went through the tunnel too.
    expect(proxy.bytes() - afterText).toBeGreaterThanOrEqual(80);
    expect(sim.calls('media').filter((c) => url.endsWith(c.path))).toHaveLength(1);
  });
});
