/**
 * The zero-code path: examples/hermes-callback, unchanged, started with an OpenTelemetry SDK
 * preloaded (`node --import ./otel-setup.mjs`), on Node 20 and Node 22: one app callback through
 * the simulated WeCom shows the callback span and the message/send reply's spans.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { appText, startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startExample } from '../../test-support/child.js';
import { randomEncodingAESKey, type TempDir, tempDir } from '../../test-support/fixtures.js';
import { OTEL_RUNTIMES, waitForSpans } from '../../test-support/otel-child.js';

const ENTRY = 'examples/hermes-callback/src/main.ts';
const APP = {
  name: 'otel-app',
  corpId: 'ww_corp_otel',
  agentId: 1000042,
  corpSecret: 'secret-otel-app-9f3c',
  token: 'tokenOtelApp',
  encodingAESKey: randomEncodingAESKey(),
};

let sim: WeComSimulator;
let dir: TempDir;

beforeAll(async () => {
  const { name, corpId, corpSecret, agentId } = APP;
  sim = await startWeComSimulator({ apps: [{ name, corpId, corpSecret, agentId }] });
  dir = tempDir('hermes-otel-');
});

afterAll(async () => {
  await sim?.close();
  dir?.remove();
});

describe.each(OTEL_RUNTIMES)('hermes-callback with an OpenTelemetry SDK preloaded, on $name', (runtime) => {
  it('exports the callback span and the message/send reply spans, with no change to the example', async () => {
    const command = runtime.command()!;
    expect(execFileSync(command.file, ['--version'], { encoding: 'utf8' })).toMatch(
      new RegExp(`^v${runtime.major}\\.`),
    );
    const spansFile = join(dir.path, `spans-${runtime.major}.jsonl`);
    const extra = {
      host: '127.0.0.1',
      corp_id: APP.corpId,
      corp_secret: APP.corpSecret,
      agent_id: String(APP.agentId),
      token: APP.token,
      encoding_aes_key: APP.encodingAESKey,
    };
    const file = dir.write(
      `hermes-${runtime.major}.yaml`,
      stringify({ model: 'echo', platforms: { wecom_callback: { enabled: true, extra } } }),
    );
    const gw = await startExample(ENTRY, ['--config', file, '--port', '0', '--api-base', sim.url], {
      command,
      env: {
        OTEL_SPANS_FILE: spansFile,
        WECOM_CALLBACK_ALLOW_ALL_USERS: 'true',
        WECOM_CALLBACK_ALLOWED_USERS: undefined,
      },
    });
    try {
      const driver = sim.app({
        corpId: APP.corpId,
        agentId: APP.agentId,
        token: APP.token,
        encodingAESKey: APP.encodingAESKey,
      });
      const sent = sim.count('message/send');
      const res = await driver.send(
        gw.url,
        appText({ content: 'hello otel', from: 'zhangsan', corpId: APP.corpId, agentId: APP.agentId }),
      );
      expect(res.status).toBe(200);
      const call = await sim.waitForCall('message/send', { count: sent + 1 });
      expect(call.body).toMatchObject({ msgtype: 'text', text: { content: 'echo: hello otel' } });

      const spans = await waitForSpans(spansFile, (all) =>
        all.some(
          (s) => s.name === 'wecom.call' && s.attributes['wecom.operation'] === '/cgi-bin/message/send',
        ),
      );
      const root = spans.find((s) => s.name === 'wecom.callback');
      expect(root?.attributes).toMatchObject({
        'wecom.kind': 'app',
        'wecom.msgtype': 'text',
        'wecom.app': 'default', // a single-app configuration names its app so
        'wecom.agent_id': APP.agentId,
      });
      expect(root?.status).toBe(0);
      expect(spans.find((s) => s.name === 'wecom.listeners')?.parentSpanId).toBe(root?.spanId);
      const reply = spans.find(
        (s) => s.name === 'wecom.call' && s.attributes['wecom.operation'] === '/cgi-bin/message/send',
      );
      expect(reply?.attributes['wecom.outcome']).toBe('delivered');
      expect(spans.find((s) => s.parentSpanId === reply?.spanId)?.name).toBe('wecom.http');
      const text = JSON.stringify(spans);
      const tokens = sim
        .calls('gettoken')
        .map((c) => (c.response as { access_token?: string }).access_token ?? '')
        .filter(Boolean);
      for (const secret of [APP.token, APP.encodingAESKey, APP.corpSecret, ...tokens])
        expect(text).not.toContain(secret);
    } finally {
      await gw.stop('SIGKILL');
    }
  });
});
