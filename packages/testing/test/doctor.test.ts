import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WeComCrypto } from '@maven/wecom-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiagnosisCode, diagnoseVerification, probeVerification } from '../src/index.js';
import { runCli, runCliAll } from './fixtures/run-cli.js';
import { OTHER, SET_A } from './vectors.js';

const ECHO = '1616140317555161061';

describe('diagnoseVerification (pure)', () => {
  const cases: Array<[string, Parameters<typeof diagnoseVerification>[0], DiagnosisCode]> = [
    ['exact answer', { echo: ECHO, status: 200, body: ECHO }, 'ok'],
    [
      'exact answer even as text/html',
      { echo: ECHO, status: 200, body: ECHO, contentType: 'text/html' },
      'ok',
    ],
    ['42-char key', { echo: ECHO, encodingAESKey: 'a'.repeat(42) }, 'key_length'],
    ['key with "-"', { echo: ECHO, encodingAESKey: `${'a'.repeat(42)}-` }, 'key_alphabet'],
    ['timeout', { echo: ECHO, error: { kind: 'timeout', message: 'x' } }, 'timeout'],
    ['refused', { echo: ECHO, error: { kind: 'unreachable', message: 'ECONNREFUSED' } }, 'unreachable'],
    ['bad URL', { echo: ECHO, error: { kind: 'invalid_url', message: 'x' } }, 'invalid_url'],
    ['404', { echo: ECHO, status: 404, body: 'not found' }, 'not_found'],
    [
      'an HTML 404 page is the path, not a proxy',
      { echo: ECHO, status: 404, body: '<!DOCTYPE html><pre>Cannot GET /x</pre>', contentType: 'text/html' },
      'not_found',
    ],
    ['405', { echo: ECHO, status: 405, body: '' }, 'method_not_allowed'],
    ['SDK: signature_mismatch', { echo: ECHO, status: 401, body: 'signature_mismatch' }, 'token_mismatch'],
    ['SDK: invalid_buffer', { echo: ECHO, status: 400, body: 'invalid_buffer' }, 'key_mismatch'],
    [
      'SDK: receive_id_mismatch',
      { echo: ECHO, status: 400, body: 'receive_id_mismatch', mode: 'app' },
      'receive_id_mismatch',
    ],
    ['SDK: missing_parameter', { echo: ECHO, status: 400, body: 'missing_parameter' }, 'query_lost'],
    [
      'SDK: timestamp_out_of_window',
      { echo: ECHO, status: 401, body: 'timestamp_out_of_window' },
      'clock_skew',
    ],
    ['500', { echo: ECHO, status: 500, body: '' }, 'http_status'],
    ['401 from the server', { echo: ECHO, status: 401, body: 'bad signature' }, 'rejected'],
    ['403 from the server', { echo: ECHO, status: 403, body: '' }, 'rejected'],
    [
      'login page',
      { echo: ECHO, status: 200, body: '<!doctype html><title>SSO</title>', contentType: 'text/html' },
      'html',
    ],
    ['proxy 502 page', { echo: ECHO, status: 502, body: '<html>bad gateway</html>' }, 'html'],
    ['empty 200', { echo: ECHO, status: 200, body: '' }, 'empty_body'],
    ['BOM', { echo: ECHO, status: 200, body: Buffer.from(`\uFEFF${ECHO}`) }, 'bom'],
    ['double quotes', { echo: ECHO, status: 200, body: `"${ECHO}"` }, 'quoted'],
    ['single quotes', { echo: ECHO, status: 200, body: `'${ECHO}'` }, 'quoted'],
    ['trailing newline', { echo: ECHO, status: 200, body: `${ECHO}\n` }, 'whitespace'],
    ['leading space', { echo: ECHO, status: 200, body: ` ${ECHO}` }, 'whitespace'],
    [
      'echostr returned',
      { echo: ECHO, echostr: 'P9nAz==', status: 200, body: 'P9nAz==' },
      'ciphertext_echoed',
    ],
    ['JSON-wrapped', { echo: ECHO, status: 200, body: `{"echostr":"${ECHO}"}` }, 'wrapped'],
    ['"success"', { echo: ECHO, status: 200, body: 'success' }, 'wrong_plaintext'],
  ];
  it.each(cases)('%s', (_name, input, code) => {
    const d = diagnoseVerification(input);
    expect(d.code).toBe(code);
    expect(d.ok).toBe(code === 'ok');
    expect(d.message.length).toBeGreaterThan(0);
    if (input.encodingAESKey !== undefined) expect(d.message).not.toContain(input.encodingAESKey);
  });
});

describe('wecom-sim doctor (child process against real servers)', () => {
  let server: Server;
  let base = '';
  let closedPort = 0;

  beforeAll(async () => {
    const right = new WeComCrypto({ token: SET_A.token, encodingAESKey: SET_A.encodingAESKey });
    const wrong = new WeComCrypto({ token: OTHER.token, encodingAESKey: OTHER.encodingAESKey });
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const q = url.searchParams;
      const params = {
        signature: q.get('msg_signature'),
        timestamp: q.get('timestamp'),
        nonce: q.get('nonce'),
        echostr: q.get('echostr'),
      };
      const path = url.pathname;
      // The doctor's callback POST: acknowledged where the GET is answered right.
      if (req.method === 'POST') {
        req.resume();
        return void res.writeHead(path === '/ok' || path === '/app' ? 200 : 401).end();
      }
      if (path === '/hang') return;
      if (path === '/404') return void res.writeHead(404).end('Not Found');
      if (path === '/login') {
        return void res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!DOCTYPE html><title>Login</title>');
      }
      if (path === '/gateway')
        return void res.writeHead(502, { 'content-type': 'text/html' }).end('<html>502</html>');
      if (path === '/undecrypted') return void res.writeHead(200).end(params.echostr ?? '');
      const codec = path === '/wrong-key' ? wrong : right;
      codec.verifyUrl(params).then(
        (plain) => {
          const body: Record<string, string> = {
            '/ok': plain,
            '/get-ok': plain,
            '/app': plain,
            '/quoted': JSON.stringify(plain),
            '/bom': `\uFEFF${plain}`,
            '/newline': `${plain}\n`,
          };
          res
            .writeHead(200, { 'content-type': path === '/quoted' ? 'application/json' : 'text/plain' })
            .end(body[path] ?? 'success');
        },
        () => res.writeHead(401).end('signature mismatch'),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    closedPort = (spare.address() as AddressInfo).port;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const servedCases = (): Array<[string, 'bot' | 'app', DiagnosisCode]> => [
    [`${base}/ok`, 'bot', 'ok'],
    [`${base}/app`, 'app', 'ok'],
    [`${base}/quoted`, 'bot', 'quoted'],
    [`${base}/bom`, 'bot', 'bom'],
    [`${base}/newline`, 'bot', 'whitespace'],
    [`${base}/login`, 'bot', 'html'],
    [`${base}/gateway`, 'bot', 'html'],
    [`${base}/404`, 'bot', 'not_found'],
    [`${base}/wrong-key`, 'bot', 'rejected'],
    [`${base}/undecrypted`, 'bot', 'ciphertext_echoed'],
    [`${base}/other`, 'bot', 'wrong_plaintext'],
    [`${base}/hang`, 'bot', 'timeout'],
    [`http://127.0.0.1:${closedPort}/x`, 'bot', 'unreachable'],
    ['ftp://127.0.0.1/x', 'bot', 'invalid_url'],
  ];

  it('probeVerification + diagnoseVerification name each misconfiguration of a real server', async () => {
    for (const [url, mode, code] of servedCases()) {
      const probe = await probeVerification({
        url,
        mode,
        token: SET_A.token,
        encodingAESKey: SET_A.encodingAESKey,
        // Generous except for /hang, so a busy machine cannot turn a slow answer into a timeout.
        timeoutMs: url.endsWith('/hang') ? 200 : 5000,
        ...(mode === 'app' ? { corpId: SET_A.corpId } : {}),
      });
      expect(diagnoseVerification(probe).code, url).toBe(code);
    }
  }, 60_000);

  it('the CLI prints the diagnosis, exits 0 only when OK, and never prints the secrets', async () => {
    const args = (url: string, key: string = SET_A.encodingAESKey) => [
      'doctor',
      '--url',
      url,
      '--token',
      SET_A.token,
      '--key',
      key,
      '--timeout',
      '5000',
    ];
    const table: Array<[string[], DiagnosisCode]> = [
      [args(`${base}/ok`), 'ok'],
      [[...args(`${base}/app`), '--mode', 'app', '--corp-id', SET_A.corpId, '--agent-id', '218'], 'ok'],
      [args(`${base}/bom`), 'bom'],
      // The GET alone passes here (this server refuses every POST).
      [[...args(`${base}/get-ok`), '--get-only'], 'ok'],
      [args(`${base}/get-ok`), 'rejected'],
      [args(`${base}/wrong-key`), 'rejected'],
      [args(`${base}/ok`, SET_A.encodingAESKey.slice(1)), 'key_length'],
    ];
    const runs = await runCliAll(table.map(([argv]) => argv));
    runs.forEach((run, i) => {
      const expected = table[i]![1];
      expect(run.stdout, `case ${expected}: ${run.stderr}`).toContain(`[${expected}]`);
      expect(run.code).toBe(expected === 'ok' ? 0 : 1);
      expect(run.stdout).not.toContain(SET_A.encodingAESKey.slice(1));
      expect(run.stdout).not.toContain(`token ${SET_A.token}`);
    });
    expect(runs[0]!.stdout).toContain('token QD…eK');
  }, 120_000);

  it('usage errors exit 2 (missing --corp-id in app mode, unknown option)', async () => {
    const [noCorp, unknown] = await Promise.all([
      runCli([
        'doctor',
        '--url',
        `${base}/ok`,
        '--token',
        't',
        '--key',
        SET_A.encodingAESKey,
        '--mode',
        'app',
      ]),
      runCli(['doctor', '--bogus']),
    ]);
    expect(noCorp.code).toBe(2);
    expect(noCorp.stderr).toContain('--corp-id');
    expect(unknown.code).toBe(2);
  }, 60_000);
});
