import { parseXml } from '@maven/wecom-crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { toAppMessageXml } from '../src/index.js';
import { type CliRun, runCli, runCliAll } from './fixtures/run-cli.js';
import { startTinyWebhook, type TinyWebhook } from './fixtures/tiny-webhook.js';
import { SET_A } from './vectors.js';

const KEYS = { token: SET_A.token, encodingAESKey: SET_A.encodingAESKey };
const base = ['--token', SET_A.token, '--key', SET_A.encodingAESKey];

let hook: TinyWebhook | undefined;
afterEach(async () => {
  await hook?.close();
  hook = undefined;
});

describe('wecom-sim send (child process)', () => {
  it('bot mode: prints the passive reply and polls the stream until it finishes', async () => {
    hook = await startTinyWebhook({
      mode: 'bot',
      ...KEYS,
      onMessage: ({ message }, index) => {
        const msg = JSON.parse(message) as { msgtype: string };
        if (msg.msgtype === 'text')
          return JSON.stringify({ msgtype: 'stream', stream: { id: 'cli-s', finish: false, content: '' } });
        return JSON.stringify({
          msgtype: 'stream',
          stream: { id: 'cli-s', finish: index >= 2, content: 'ab'.slice(0, index) },
        });
      },
    });
    const run = await runCli([
      'send',
      '--url',
      hook.url,
      ...base,
      '--text',
      '你好',
      '--stream',
      '--interval',
      '20',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('← HTTP 200 after 1 delivery');
    expect(run.stdout).toContain('"id":"cli-s"');
    expect(run.stdout).toContain('stream finished after 2 refreshes');
    expect(run.stdout).not.toContain(SET_A.encodingAESKey);
    expect(JSON.parse(hook.received[0]!.message)).toMatchObject({
      msgtype: 'text',
      text: { content: '你好' },
    });
  }, 60_000);

  it('bot mode: an empty reply, then the response_url post is received and printed', async () => {
    hook = await startTinyWebhook({
      mode: 'bot',
      ...KEYS,
      onMessage: ({ message }) => {
        const { response_url } = JSON.parse(message) as { response_url: string };
        setTimeout(() => {
          void fetch(response_url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ msgtype: 'markdown', markdown: { content: 'async answer' } }),
          }).catch(() => undefined);
        }, 20);
        return '';
      },
    });
    const [ok, wrongKey] = (await runCliAll([
      ['send', '--url', hook.url, ...base, '--wait', '10000'],
      ['send', '--url', hook.url, '--token', 'other', '--key', SET_A.encodingAESKey, '--once', '--wait', '0'],
    ])) as [CliRun, CliRun];
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('reply: (empty');
    expect(ok.stdout).toContain('response_url: {"msgtype":"markdown","markdown":{"content":"async answer"}}');
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toContain('HTTP 401 after 1 delivery');
  }, 60_000);

  it('app mode: sends XML with the CorpID and prints the decrypted XML reply', async () => {
    hook = await startTinyWebhook({
      mode: 'app',
      ...KEYS,
      corpId: SET_A.corpId,
      onMessage: ({ message }) =>
        toAppMessageXml({
          ToUserName: 'u',
          FromUserName: SET_A.corpId,
          CreateTime: 1,
          MsgType: 'text',
          Content: `re: ${String(parseXml(message).Content)}`,
        }),
    });
    const run = await runCli([
      'send',
      '--mode',
      'app',
      '--url',
      hook.url,
      ...base,
      '--corp-id',
      SET_A.corpId,
      '--agent-id',
      '218',
      '--text',
      'ping',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('<Content><![CDATA[re: ping]]></Content>');
    expect(parseXml(hook.received[0]!.message)).toMatchObject({ AgentID: '218', Content: 'ping' });
  }, 60_000);
});
