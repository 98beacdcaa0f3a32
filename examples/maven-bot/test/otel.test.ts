/**
 * The zero-code path: examples/maven-bot, unchanged, started with an OpenTelemetry SDK preloaded
 * (`node --import ./otel-setup.mjs`), on Node 20 and Node 22: one callback through the simulated
 * WeCom shows the callback span and the response_url reply's spans, in one trace.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample } from '../../test-support/child.js';
import { randomEncodingAESKey, type TempDir, tempDir } from '../../test-support/fixtures.js';
import { chain, OTEL_RUNTIMES, waitForSpans } from '../../test-support/otel-child.js';

const ENTRY = 'examples/maven-bot/src/main.ts';
const TOKEN = 'mavenBotOtelToken7';
const KEY = randomEncodingAESKey();

let sim: WeComSimulator;
let dir: TempDir;

beforeAll(async () => {
  sim = await startWeComSimulator();
  dir = tempDir('maven-bot-otel-');
});

afterAll(async () => {
  await sim?.close();
  dir?.remove();
});

describe.each(OTEL_RUNTIMES)('maven-bot with an OpenTelemetry SDK preloaded, on $name', (runtime) => {
  it('exports the callback span and the reply spans of one callback, with no change to the example', async () => {
    const command = runtime.command()!;
    expect(execFileSync(command.file, ['--version'], { encoding: 'utf8' })).toMatch(
      new RegExp(`^v${runtime.major}\\.`),
    );
    const spansFile = join(dir.path, `spans-${runtime.major}.jsonl`);
    const wecom = { enabled: true, token: TOKEN, encodingAESKey: KEY, receiveId: '', port: 9886, proxy: '' };
    const file = dir.write(
      `maven-${runtime.major}.json`,
      JSON.stringify({ agents: { default: 'echo' }, channels: { wecom } }),
    );
    const gw = await startExample(
      ENTRY,
      ['--config', file, '--host', '127.0.0.1', '--port', '0', '--media-base', sim.url],
      { command, env: { OTEL_SPANS_FILE: spansFile } },
    );
    try {
      const res = await sim.bot({ token: TOKEN, encodingAESKey: KEY }).send(gw.url, 'hello');
      expect(res.status).toBe(200);
      const posted = await sim.waitForResponse(res.responseUrl!);
      expect(posted.body).toEqual({ msgtype: 'markdown', markdown: { content: 'echo: hello' } });

      const spans = await waitForSpans(spansFile, (all) =>
        all.some(
          (s) => s.name === 'wecom.call' && s.attributes['wecom.operation'] === '/cgi-bin/aibot/response',
        ),
      );
      const root = spans.find((s) => s.name === 'wecom.callback');
      expect(root?.attributes).toMatchObject({ 'wecom.kind': 'bot', 'wecom.msgtype': 'text' });
      expect(root?.status).toBe(0);
      for (const child of ['wecom.open', 'wecom.listeners']) {
        expect(spans.find((s) => s.name === child)?.parentSpanId, child).toBe(root?.spanId);
      }
      const call = spans.find((s) => s.name === 'wecom.call');
      expect(call?.attributes['wecom.outcome']).toBe('delivered');
      expect(call?.traceId).toBe(root?.traceId);
      expect(chain(spans, call!)).toEqual(['wecom.call', 'wecom.listeners', 'wecom.callback']);
      const attempt = spans.find((s) => s.name === 'wecom.http');
      expect(attempt?.parentSpanId).toBe(call?.spanId);
      expect(attempt?.attributes['http.response.status_code']).toBe(200);
      const text = JSON.stringify(spans);
      for (const secret of [TOKEN, KEY, new URL(res.responseUrl!).searchParams.get('response_code')!])
        expect(text).not.toContain(secret);
    } finally {
      await gw.stop('SIGKILL');
    }
  });
});
