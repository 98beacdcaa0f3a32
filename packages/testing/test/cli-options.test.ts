/** The CLI as a newcomer meets it (child processes): --version, --help per command, env defaults, hints. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, toNodeListener } from '@maven/wecom-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WeComBot } from '../../bot/src/index.ts';
import { type CliRun, runCli } from './fixtures/run-cli.js';
import { startTinyWebhook, type TinyWebhook } from './fixtures/tiny-webhook.js';
import { OTHER, SET_A } from './vectors.js';

const KEYS = { token: SET_A.token, encodingAESKey: SET_A.encodingAESKey };
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

let hook: TinyWebhook | undefined;
afterEach(async () => {
  await hook?.close();
  hook = undefined;
});

describe('wecom-sim --version and --help', () => {
  it('--version prints the package version; each command has its own --help naming its env variables', async () => {
    const [version, sendHelp, serveHelp, doctorHelp, helpDoctor, top] = await Promise.all([
      runCli(['--version']),
      runCli(['send', '--help']),
      runCli(['serve', '--help']),
      runCli(['doctor', '-h']),
      runCli(['help', 'doctor']),
      runCli(['--help']),
    ]);
    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    for (const run of [sendHelp, serveHelp, doctorHelp, helpDoctor, top])
      expect(run.code, run.stderr).toBe(0);
    expect(sendHelp.stdout).toMatch(/^usage: wecom-sim send /);
    expect(sendHelp.stdout).toContain('--chat-type');
    expect(sendHelp.stdout).toContain('--image');
    expect(sendHelp.stdout).not.toContain('wecom-sim doctor');
    for (const name of ['$WECOM_TOKEN', '$WECOM_ENCODING_AES_KEY', '$WECOM_CORP_ID', '$WECOM_AGENT_ID']) {
      expect(sendHelp.stdout).toContain(name);
      expect(doctorHelp.stdout).toContain(name);
    }
    expect(serveHelp.stdout).toMatch(/^usage: wecom-sim serve /);
    expect(serveHelp.stdout).toContain('$WECOM_CORP_SECRET');
    expect(doctorHelp.stdout).toMatch(/^usage: wecom-sim doctor /);
    expect(helpDoctor.stdout).toBe(doctorHelp.stdout);
    expect(top.stdout).toContain(`wecom-sim ${VERSION}`);
    expect(top.stdout).toContain('wecom-sim <command> --help');
  }, 60_000);

  it('a missing key names the option and the environment variables (exit 2)', async () => {
    const run = await runCli(['send', '--url', 'http://127.0.0.1:9/x', '--key', SET_A.encodingAESKey]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--token is required (or set WECOM_BOT_TOKEN or WECOM_TOKEN)');
    expect(run.stderr).toContain('usage: wecom-sim send');
  }, 60_000);
});

describe('wecom-sim send: environment defaults, chats, images, hints', () => {
  it('bot mode reads WECOM_BOT_TOKEN/WECOM_BOT_AES_KEY; --chat-id sends a group message', async () => {
    hook = await startTinyWebhook({ mode: 'bot', ...KEYS });
    const run = await runCli(
      ['send', '--url', hook.url, '--text', 'hi all', '--chat-id', 'wrchat-1', '--wait', '0'],
      20_000,
      {
        WECOM_BOT_TOKEN: KEYS.token,
        WECOM_BOT_AES_KEY: KEYS.encodingAESKey,
      },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('← HTTP 200 after 1 delivery');
    expect(run.stdout).not.toContain(KEYS.encodingAESKey);
    expect(JSON.parse(hook.received[0]!.message)).toMatchObject({
      msgtype: 'text',
      chattype: 'group',
      chatid: 'wrchat-1',
      text: { content: 'hi all' },
    });
  }, 60_000);

  it('app mode reads WECOM_TOKEN, WECOM_ENCODING_AES_KEY, WECOM_CORP_ID and WECOM_AGENT_ID', async () => {
    hook = await startTinyWebhook({ mode: 'app', ...KEYS, corpId: SET_A.corpId });
    const run = await runCli(['send', '--mode', 'app', '--url', hook.url, '--text', 'ping'], 20_000, {
      WECOM_TOKEN: KEYS.token,
      WECOM_ENCODING_AES_KEY: KEYS.encodingAESKey,
      WECOM_CORP_ID: SET_A.corpId,
      WECOM_AGENT_ID: '1000007',
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(hook.received[0]!.message).toContain('<AgentID>1000007</AgentID>');
    expect(hook.received[0]!.message).toContain(`<ToUserName><![CDATA[${SET_A.corpId}]]></ToUserName>`);
  }, 60_000);

  it('--image: a file is put on the simulator’s media CDN, a URL is sent as is; --chat-type group without an id gets one', async () => {
    hook = await startTinyWebhook({ mode: 'bot', ...KEYS });
    const file = join(mkdtempSync(join(tmpdir(), 'wecom-sim-')), 'cat.png');
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    writeFileSync(file, png);
    const base = [
      'send',
      '--url',
      hook.url,
      '--token',
      KEYS.token,
      '--key',
      KEYS.encodingAESKey,
      '--wait',
      '0',
    ];
    const [fromFile, fromUrl] = await Promise.all([
      runCli([...base, '--image', file, '--chat-type', 'group']),
      runCli([...base, '--image', 'https://example.invalid/cat.png']),
    ]);
    expect(fromFile.code, fromFile.stdout + fromFile.stderr).toBe(0);
    expect(fromUrl.code, fromUrl.stdout + fromUrl.stderr).toBe(0);
    const messages = hook.received.map(
      (r) =>
        JSON.parse(r.message) as {
          msgtype: string;
          chattype: string;
          chatid?: string;
          image: { url: string };
        },
    );
    const local = messages.find((m) => m.image.url.startsWith('http://127.0.0.1:'));
    const remote = messages.find((m) => m.image.url === 'https://example.invalid/cat.png');
    expect(local).toMatchObject({ msgtype: 'image', chattype: 'group' });
    expect(local!.chatid).toMatch(/^wrchat-/);
    expect(remote).toMatchObject({ msgtype: 'image', chattype: 'single' });
  }, 60_000);

  it('doctor reads the keys from WECOM_TOKEN/WECOM_ENCODING_AES_KEY too (bot mode falls back to them)', async () => {
    hook = await startTinyWebhook({ mode: 'bot', ...KEYS });
    const run = await runCli(['doctor', '--url', hook.url, '--timeout', '10000'], 30_000, {
      WECOM_TOKEN: KEYS.token,
      WECOM_ENCODING_AES_KEY: KEYS.encodingAESKey,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('✓ POST text message [ok]');
    expect(hook.verifications).toBe(1);
    expect(hook.received).toHaveLength(1);
  }, 60_000);

  it('an unfinished stream without --stream gets a hint to add it', async () => {
    hook = await startTinyWebhook({
      mode: 'bot',
      ...KEYS,
      onMessage: () =>
        JSON.stringify({ msgtype: 'stream', stream: { id: 's-9', finish: false, content: '' } }),
    });
    const run = await runCli([
      'send',
      '--url',
      hook.url,
      '--token',
      KEYS.token,
      '--key',
      KEYS.encodingAESKey,
      '--wait',
      '0',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('unfinished stream (id s-9)');
    expect(run.stdout).toContain('add --stream');
    expect(hook.received).toHaveLength(1);
  }, 60_000);
});

describe('wecom-sim send: a non-2xx answer is printed with its body and a hint', () => {
  let server: Server;
  const bot = new WeComBot({ ...KEYS, path: '/wecom/bot', logger: silentLogger });
  afterAll(async () => {
    await bot.close();
    server?.closeAllConnections();
    server?.close();
  });

  it('a real WeComBot refusing the Token: status, body code, the cause and a pointer to doctor (exit 1)', async () => {
    server = createServer(toNodeListener(bot));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const [wrongToken, wrongPath] = (await Promise.all([
      runCli([
        'send',
        '--url',
        `${base}/wecom/bot`,
        '--token',
        OTHER.token,
        '--key',
        KEYS.encodingAESKey,
        '--once',
        '--wait',
        '0',
      ]),
      runCli([
        'send',
        '--url',
        `${base}/wecom/other`,
        '--token',
        KEYS.token,
        '--key',
        KEYS.encodingAESKey,
        '--once',
        '--wait',
        '0',
      ]),
    ])) as [CliRun, CliRun];
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stdout).toContain('← HTTP 401 after 1 delivery');
    expect(wrongToken.stdout).toContain('body: signature_mismatch');
    expect(wrongToken.stdout).toContain('[token_mismatch]');
    expect(wrongToken.stdout).toContain('wecom-sim doctor');
    expect(wrongToken.stdout).not.toContain('reply:');
    expect(wrongPath.code).toBe(1);
    expect(wrongPath.stdout).toContain('← HTTP 404 after 1 delivery');
    expect(wrongPath.stdout).toContain('[not_found]');
  }, 60_000);
});
