/**
 * `wecom-sim doctor` (a child process) against the real SDK: a WeComBot and a CallbackRouter on
 * node:http via toNodeListener, and behind a real Express. The testing package does not depend on
 * the bot, callback or Express packages (they depend on it), so they are imported by relative path
 * from the workspace, like the adapters' suites share their test plumbing.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { silentLogger, toNodeListener } from '@maven/wecom-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeComBot } from '../../bot/src/index.ts';
import { CallbackRouter } from '../../callback/src/index.ts';
import { createCodec } from '../src/codec.js';
import { buildBotCallback, type CallbackProbe, type DiagnosisCode, diagnoseCallback } from '../src/index.js';
import { type CliRun, runCliAll } from './fixtures/run-cli.js';
import { OTHER, SET_A } from './vectors.js';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
interface ExpressApp extends RequestListener {
  use(...handlers: Array<Middleware | RequestListener>): ExpressApp;
}
interface ExpressModule {
  (): ExpressApp;
  json(options: { type: () => boolean }): Middleware;
  urlencoded(options: { extended: boolean; type: () => boolean }): Middleware;
}
// Express as the Express adapter's tests install it.
const express = createRequire(new URL('../../express/package.json', import.meta.url))(
  'express',
) as ExpressModule;

const KEYS = { token: SET_A.token, encodingAESKey: SET_A.encodingAESKey };
const CORP = SET_A.corpId;
const AGENT = 1000002;

const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
async function listen(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const bot = new WeComBot({ ...KEYS, path: '/wecom/bot', logger: silentLogger });
const received: string[] = [];
bot.on('text', async (message, ctx) => {
  received.push(message.text);
  await ctx.reply('pong');
});
const router = new CallbackRouter({
  app: { corpId: CORP, corpSecret: 'doctor-secret-1', agentId: AGENT, ...KEYS },
  path: '/wecom/callback',
  logger: silentLogger,
});
// Two apps of two corps on one URL, each with its own Token and key.
const SECOND = { corpId: 'wwsecondcorp0001', agentId: 1000003, ...OTHER };
const shared = new CallbackRouter({
  apps: [
    { name: 'first', corpId: CORP, corpSecret: 'doctor-secret-1', agentId: AGENT, ...KEYS },
    { name: 'second', corpSecret: 'doctor-secret-2', ...SECOND },
  ],
  path: '/wecom/callback',
  logger: silentLogger,
});

let botUrl = '';
let appUrl = '';
let sharedUrl = '';
let expressBase = '';
let parserBase = '';
let proxyBase = '';
let jsonBase = '';

beforeAll(async () => {
  botUrl = `${await listen(toNodeListener(bot))}/wecom/bot`;
  appUrl = `${await listen(toNodeListener(router))}/wecom/callback`;
  sharedUrl = `${await listen(toNodeListener(shared))}/wecom/callback`;
  expressBase = await listen(express().use(toNodeListener(bot)));
  // A global parser for every content type, mounted before the SDK: the raw body is gone, and
  // what it left ({ '{"encrypt":…}': '' }) holds no envelope.
  parserBase = await listen(
    express()
      .use(express.urlencoded({ extended: false, type: () => true }))
      .use(toNodeListener(bot)),
  );
  // A JSON parser for every content type before an app router: it chokes on the XML body and
  // Express answers its HTML error page.
  jsonBase = await listen(
    express()
      .use(express.json({ type: () => true }))
      .use(toNodeListener(router)),
  );
  // What a misrouted nginx or a WAF answers: its own HTML page, whatever the request.
  proxyBase = await listen((_req, res) => {
    res
      .writeHead(403, { 'content-type': 'text/html' })
      .end('<html><head><title>403 Forbidden</title></head><body><center>nginx</center></body></html>');
  });
});

afterAll(async () => {
  await bot.close();
  await router.close();
  await shared.close();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

const doctor = (
  url: string,
  keys: { token: string; encodingAESKey: string } = KEYS,
  extra: string[] = [],
) => [
  'doctor',
  '--url',
  url,
  '--token',
  keys.token,
  '--key',
  keys.encodingAESKey,
  // Generous: a busy machine must not turn a slow answer into a timeout.
  '--timeout',
  '10000',
  '--post-timeout',
  '10000',
  ...extra,
];
const app = ['--mode', 'app', '--corp-id', CORP, '--agent-id', String(AGENT)];

function postLine(run: CliRun): string {
  return run.stdout.split('\n').find((line) => line.includes('POST text message')) ?? '';
}

describe('wecom-sim doctor: a signed, encrypted POST after the GET, against the real SDK', () => {
  it('passes (exit 0) against a correct WeComBot and a correct CallbackRouter; the bot got the message', async () => {
    const [botRun, appRun] = (await runCliAll([doctor(botUrl), doctor(appUrl, KEYS, app)])) as [
      CliRun,
      CliRun,
    ];
    expect(botRun.code, botRun.stdout + botRun.stderr).toBe(0);
    expect(botRun.stdout).toContain('✓ GET  URL verification [ok]');
    expect(postLine(botRun)).toContain('✓ POST text message [ok]');
    expect(postLine(botRun)).toContain('valid encrypted passive reply');
    expect(received).toContain('wecom-sim doctor: test message');
    expect(appRun.code, appRun.stdout + appRun.stderr).toBe(0);
    expect(postLine(appRun)).toContain(`✓ POST text message to ${CORP}/${AGENT} [ok]`);
  }, 120_000);

  it('names the cause of each failing POST and exits 1 (Token, EncodingAESKey, CorpID, path, body parser, proxy)', async () => {
    const table: Array<[string, string[], string, RegExp]> = [
      ['wrong token', doctor(botUrl, { ...KEYS, token: OTHER.token }), 'token_mismatch', /Token differs/],
      [
        'wrong key',
        doctor(botUrl, { ...KEYS, encodingAESKey: OTHER.encodingAESKey }),
        'key_mismatch',
        /EncodingAESKey differs/,
      ],
      [
        'wrong corpId',
        doctor(appUrl, KEYS, ['--mode', 'app', '--corp-id', 'wwsomeothercorp', '--agent-id', String(AGENT)]),
        'receive_id_mismatch',
        /receiveId/,
      ],
      ['wrong path (Express 404 page)', doctor(`${expressBase}/wecom/bto`), 'not_found', /at this path/],
      ['a body parser ate the body', doctor(`${parserBase}/wecom/bot`), 'body_parser', /body parser/],
      ['a reverse proxy answers HTML', doctor(`${proxyBase}/wecom/bot`), 'html', /HTML page/],
      [
        'express.json() for every type before an XML app',
        doctor(`${jsonBase}/wecom/callback`, KEYS, app),
        'body_parser',
        /body parser/,
      ],
    ];
    const runs = await runCliAll(table.map(([, argv]) => argv));
    runs.forEach((run, i) => {
      const [name, , code, cause] = table[i]!;
      const line = postLine(run);
      expect(run.code, `${name}: ${run.stdout}${run.stderr}`).toBe(1);
      expect(line, `${name}: ${run.stdout}${run.stderr}`).toContain(`✗ POST text message`);
      expect(line, `${name}: ${run.stdout}`).toContain(`[${code}]`);
      expect(line, name).toMatch(cause);
      expect(run.stdout, name).not.toContain(OTHER.encodingAESKey);
      expect(run.stdout, name).not.toContain(SET_A.encodingAESKey);
    });
    // The wrong path is said to be the path, not a proxy, though Express answers it with HTML.
    expect(runs[3]!.stdout).not.toContain('[html]');
    // The parser only breaks the POST: the GET still passes there.
    expect(runs[4]!.stdout).toContain('✓ GET  URL verification [ok]');
  }, 180_000);

  it('app mode with several --app: one POST per app, each judged on its own', async () => {
    const second = `${SECOND.corpId}:${SECOND.agentId}:${SECOND.token}:${SECOND.encodingAESKey}`;
    const wrongAgent = `${SECOND.corpId}:1000099:${SECOND.token}:${SECOND.encodingAESKey}`;
    const [both, oneWrong] = (await runCliAll([
      doctor(sharedUrl, KEYS, ['--app', `${CORP}:${AGENT}`, '--app', second]),
      doctor(sharedUrl, KEYS, ['--app', `${CORP}:${AGENT}`, '--app', wrongAgent]),
    ])) as [CliRun, CliRun];
    expect(both.code, both.stdout + both.stderr).toBe(0);
    expect(both.stdout).toContain(`✓ POST text message to ${CORP}/${AGENT} [ok]`);
    expect(both.stdout).toContain(`✓ POST text message to ${SECOND.corpId}/${SECOND.agentId} [ok]`);
    expect(oneWrong.code).toBe(1);
    expect(oneWrong.stdout).toContain(`✓ POST text message to ${CORP}/${AGENT} [ok]`);
    expect(oneWrong.stdout).toContain(`✗ POST text message to ${SECOND.corpId}/1000099 [no_matching_app]`);
    expect(oneWrong.stdout).toContain('CorpID (ToUserName) or AgentID');
    expect(oneWrong.stdout).not.toContain(SECOND.encodingAESKey);
  }, 120_000);
});

describe('diagnoseCallback (pure): what a 200 answer must be', () => {
  const nonce = '1372623149';
  const probe = (body: string, extra: Partial<CallbackProbe> = {}): CallbackProbe => ({
    mode: 'bot',
    ...KEYS,
    receiveId: '',
    nonce,
    timeoutMs: 5000,
    status: 200,
    body,
    ...extra,
  });
  const reply = (keys: { token: string; encodingAESKey: string }, receiveId: string, replyNonce = nonce) => {
    const built = buildBotCallback({ ...keys, receiveId, nonce: replyNonce, message: { msgtype: 'text' } });
    return JSON.stringify({
      encrypt: built.encrypt,
      msgsignature: built.signature,
      timestamp: Number(built.timestamp),
      nonce: built.nonce,
    });
  };
  const appReply = (corpId: string) => {
    const codec = createCodec({ ...KEYS, receiveId: corpId });
    const encrypt = codec.encrypt('<xml><MsgType>text</MsgType></xml>');
    const signature = codec.signature('1', 'n1', encrypt);
    return `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature>${signature}</MsgSignature><TimeStamp>1</TimeStamp><Nonce>n1</Nonce></xml>`;
  };
  const cases: Array<[string, CallbackProbe, DiagnosisCode]> = [
    ['empty 200', probe(''), 'ok'],
    ['a valid encrypted reply', probe(reply(KEYS, '')), 'ok'],
    ['a plain JSON reply', probe('{"msgtype":"text","text":{"content":"hi"}}'), 'bad_reply'],
    ['signed with another Token', probe(reply({ ...KEYS, token: OTHER.token }, '')), 'bad_reply'],
    ['another receiveId in the frame', probe(reply(KEYS, 'wwx')), 'bad_reply'],
    ['another nonce', probe(reply(KEYS, '', '999')), 'bad_reply'],
    ['"ok" text', probe('ok'), 'bad_reply'],
    ['app: success', probe('success', { mode: 'app', receiveId: CORP }), 'ok'],
    ['app: a valid XML reply', probe(appReply(CORP), { mode: 'app', receiveId: CORP }), 'ok'],
    ['app: another CorpID', probe(appReply('wwother'), { mode: 'app', receiveId: CORP }), 'bad_reply'],
    ['401 signature_mismatch', probe('signature_mismatch', { status: 401 }), 'token_mismatch'],
    ['500 body_already_parsed', probe('body_already_parsed', { status: 500 }), 'body_parser'],
    ['404 HTML page', probe('<!DOCTYPE html><pre>Cannot POST /x</pre>', { status: 404 }), 'not_found'],
    ['502 proxy page', probe('<html>502 Bad Gateway</html>', { status: 502 }), 'html'],
    ['no answer', { ...probe(''), error: { kind: 'timeout', message: 'x' } }, 'timeout'],
  ];
  it.each(cases)('%s', (_name, input, code) => {
    const d = diagnoseCallback(input);
    expect(d.code).toBe(code);
    expect(d.ok).toBe(code === 'ok');
    expect(d.message).not.toContain(KEYS.encodingAESKey);
  });
});
