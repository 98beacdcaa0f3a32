/** The gateway's config loading, flags, echo agent and reactive-only behaviour, in process. */
import { createConsoleLogger, type LogLevel } from '@maven/wecom-core';
import { describe, expect, it } from 'vitest';
import { randomEncodingAESKey } from '../../test-support/fixtures.js';
import { echoAnswer, streamPieces } from '../src/agent.js';
import { parseCli } from '../src/cli.js';
import { ConfigError, DEFAULT_PORT, parseJsonText, parseMavenConfig } from '../src/config.js';
import { botOptions, startGateway } from '../src/gateway.js';
import { createProxyFetch } from '../src/proxy.js';

const KEY = randomEncodingAESKey();
const wecom = (fields: Record<string, unknown>) => ({
  channels: { wecom: { enabled: true, token: 't0k', encodingAESKey: KEY, ...fields } },
});

function problems(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('channels.wecom', () => {
  it('takes the reference page’s example as is, with its defaults', () => {
    const config = parseMavenConfig({
      channels: {
        wecom: {
          enabled: true,
          token: 'your-token',
          encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
          receiveId: '',
          port: 9886,
          allowFrom: ['zhangsan'],
          proxy: '',
        },
      },
    });
    expect(config).toEqual({
      enabled: true,
      connection: 'webhook',
      botId: undefined,
      secret: undefined,
      wsUrl: undefined,
      schedule: [],
      token: 'your-token',
      encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
      receiveId: undefined,
      aibotId: undefined,
      port: 9886,
      allowFrom: ['zhangsan'],
      proxy: undefined,
    });
    const minimal = parseMavenConfig(wecom({}));
    expect(minimal.port).toBe(DEFAULT_PORT);
    expect(minimal.allowFrom).toEqual([]);
  });

  it('takes an aibotId (trimmed; "" = any bot, as the reference) and refuses a non-string', () => {
    expect(parseMavenConfig(wecom({ aibotId: ' aib-1 ' })).aibotId).toBe('aib-1');
    expect(parseMavenConfig(wecom({ aibotId: '' })).aibotId).toBeUndefined();
    expect(problems(() => parseMavenConfig(wecom({ aibotId: 7 })))).toEqual([
      'channels.wecom.aibotId must be a string',
    ]);
  });

  it('enforces a non-empty receiveId and trims allowFrom', () => {
    const config = parseMavenConfig(wecom({ receiveId: ' aibot-1 ', allowFrom: [' a ', '', 'b'] }));
    expect(config.receiveId).toBe('aibot-1');
    expect(config.allowFrom).toEqual(['a', 'b']);
  });

  it('accepts http, https, socks5 and socks5h proxies', () => {
    for (const proxy of ['http://p:3128', 'https://p', 'socks5://127.0.0.1:1080', 'socks5h://u:pw@p:1080']) {
      expect(parseMavenConfig(wecom({ proxy })).proxy?.href).toBe(new URL(proxy).href);
    }
  });

  it('reports every problem at once, naming fields and never the secrets', () => {
    const found = problems(() =>
      parseMavenConfig({
        channels: {
          wecom: {
            enabled: 'yes',
            token: ' secret-token ',
            encodingAESKey: 'x'.repeat(44),
            port: 70000,
            allowFrom: 'zhangsan',
            proxy: 'socks4://u:hunter2@p:1080',
            allow_from: [],
          },
        },
      }),
    );
    expect(found).toEqual([
      'channels.wecom.allow_from is not a known field; known: enabled, connection, botId, secret, wsUrl, schedule, token, encodingAESKey, receiveId, aibotId, port, allowFrom, proxy',
      'channels.wecom.enabled is required: true or false',
      'channels.wecom.token has leading or trailing whitespace (a copy-paste slip?)',
      'channels.wecom.encodingAESKey must be exactly 43 characters (got 44)',
      'channels.wecom.port must be an integer from 0 to 65535 (got 70000)',
      'channels.wecom.allowFrom must be an array of user ids (strings)',
      'channels.wecom.proxy must use http, https, socks5, socks5h (got "socks4")',
    ]);
    expect(found.join('\n')).not.toContain('secret-token');
    expect(found.join('\n')).not.toContain('hunter2');
  });

  it('does not echo a secret pasted in a key’s place (long unknown keys are masked)', () => {
    const pasted = randomEncodingAESKey();
    const found = problems(() => parseMavenConfig(wecom({ [pasted]: true })));
    expect(found[0]).toMatch(/^channels\.wecom\.<a 43-character key, not shown> is not a known field/);
    expect(found.join('\n')).not.toContain(pasted);
  });

  it('checks the key alphabet, proxy shape and the surrounding structure', () => {
    expect(problems(() => parseMavenConfig(wecom({ encodingAESKey: `${KEY.slice(0, 42)}-` })))).toEqual([
      'channels.wecom.encodingAESKey may only contain A-Z, a-z, 0-9, "+" and "/"',
    ]);
    expect(problems(() => parseMavenConfig(wecom({ proxy: 'http://u:pw@p:3128/path' })))).toEqual([
      'channels.wecom.proxy must be scheme://[user:password@]host[:port] with nothing after the port (http://***:***@p:3128/path)',
    ]);
    expect(problems(() => parseMavenConfig(wecom({ proxy: 'not a url' })))[0]).toContain('is not a URL');
    expect(problems(() => parseMavenConfig({ channels: {} }))).toEqual([
      '"channels.wecom" is missing or not an object',
    ]);
    expect(problems(() => parseMavenConfig([]))).toEqual(['the config must be a JSON object']);
  });

  it('reports JSON syntax errors by position only (V8 would quote the text, maybe the token)', () => {
    expect(problems(() => parseJsonText('{\n  "token": "abc",\n}', 'maven.json'))).toEqual([
      'maven.json is not valid JSON at line 3, column 1',
    ]);
  });
});

describe('command line', () => {
  it('has the reference defaults (all interfaces) and reads MAVEN_CONFIG', () => {
    const cli = parseCli([], { MAVEN_CONFIG: '/etc/maven.json' });
    expect(cli).toMatchObject({
      config: '/etc/maven.json',
      host: undefined,
      port: undefined,
      stream: false,
      ack: 'empty',
      ackDelayMs: 0,
      logLevel: 'info' satisfies LogLevel,
    });
  });

  it('parses every flag and refuses bad ones', () => {
    const cli = parseCli(
      [
        '--config',
        'c.json',
        '--host',
        '::',
        '--port',
        '0',
        '--stream',
        '--api-base',
        'http://127.0.0.1:1',
        '--ack',
        'success',
      ],
      {},
    );
    expect(cli.mediaBase?.origin).toBe('http://127.0.0.1:1');
    expect(cli.port).toBe(0);
    expect(cli.stream).toBe(true);
    expect(problems(() => parseCli(['--config', 'c', '--port', '99999', '--ack', 'maybe'], {}))).toEqual([
      '--ack must be "empty" or "success" (got "maybe")',
      '--port must be an integer from 0 to 65535 (got "99999")',
    ]);
    expect(problems(() => parseCli(['--nope'], {}))[0]).toContain("Unknown option '--nope'");
  });
});

describe('the echo agent', () => {
  const load = async () => {
    throw Object.assign(new Error('x'), { code: 'forbidden' });
  };

  it('echoes text and voice, and reports media it could not fetch instead of dropping it', async () => {
    const text = { type: 'text', text: 'hi' } as Parameters<typeof echoAnswer>[0];
    expect(await echoAnswer(text, load)).toBe('echo: hi');
    const image = { type: 'image', image: { kind: 'image', url: 'http://x' } } as Parameters<
      typeof echoAnswer
    >[0];
    expect(await echoAnswer(image, load)).toBe('image: download failed (forbidden)');
    const empty = { type: 'text', text: '  ' } as Parameters<typeof echoAnswer>[0];
    expect(await echoAnswer(empty, load)).toBeUndefined();
  });

  it('cuts a streamed answer on code points', () => {
    expect(streamPieces('echo: 你好👋', 3)).toEqual(['ech', 'o: ', '你好👋']);
    expect(streamPieces('ab', 4)).toEqual(['a', 'b']);
  });
});

describe('proxy', () => {
  it('builds a proxy fetch for every protocol the reference accepts (traffic: test/network.test.ts)', async () => {
    for (const url of [
      'http://u:pw@127.0.0.1:3128',
      'https://127.0.0.1:3129',
      'socks5://127.0.0.1:1080',
      'socks5h://u:pw@127.0.0.1:1080',
    ]) {
      const proxy = createProxyFetch(new URL(url));
      expect(typeof proxy.fetch).toBe('function');
      await proxy.close();
    }
  });
});

describe('websocket mode config', () => {
  it('needs botId and secret, not token and key, and checks the schedule', () => {
    const ws = parseMavenConfig({
      channels: {
        wecom: {
          enabled: true,
          connection: 'websocket',
          botId: 'bot-1',
          secret: 'long-connection-secret',
          schedule: [{ chatId: 'zhangsan', text: 'report', afterMs: 10, deliver: true }],
        },
      },
    });
    expect(ws).toMatchObject({ connection: 'websocket', botId: 'bot-1', token: '', encodingAESKey: '' });
    expect(ws.schedule).toEqual([
      {
        job: 'job-1',
        chatId: 'zhangsan',
        chatType: undefined,
        text: 'report',
        afterMs: 10,
        everyMs: undefined,
        deliver: true,
      },
    ]);
    let problems: readonly string[] = [];
    try {
      parseMavenConfig({
        channels: {
          wecom: {
            enabled: true,
            connection: 'websocket',
            secret: 'long-connection-secret',
            wsUrl: 'http://x',
            schedule: [{ text: 'x' }],
          },
        },
      });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      'channels.wecom.botId is required with "connection": "websocket"',
      'channels.wecom.wsUrl must be a ws:// or wss:// URL',
      'channels.wecom.schedule[0].chatId is required',
    ]);
    expect(problems.join('\n')).not.toContain('long-connection-secret');
  });
});

describe('the gateway, in process', () => {
  const config = parseMavenConfig(wecom({ allowFrom: ['zhangsan'] }));

  it('is reactive-only: a proactive delivery is skipped with a WARN line', async () => {
    const lines: string[] = [];
    const logger = createConsoleLogger({
      level: 'info',
      name: 'maven-bot',
      write: (_l, line) => lines.push(line),
    });
    const gateway = await startGateway({ config, host: '127.0.0.1', port: 0, stream: false, logger });
    try {
      expect(gateway.bot.capabilities.reactiveOnly).toBe(true);
      expect(
        await gateway.deliverProactive({ chatId: 'zhangsan', text: 'daily report', job: 'cron-1' }),
      ).toBe(false);
      const warn = lines.find((line) => line.includes('warn:'));
      expect(warn).toContain('reactive-only');
      expect(warn).toContain('"job":"cron-1"');
    } finally {
      await gateway.close();
    }
  });

  it('maps the config and flags onto WeComBot options', () => {
    const logger = createConsoleLogger({ level: 'error' });
    const options = botOptions({
      config: { ...config, receiveId: 'aibot-1' },
      host: '::',
      port: 0,
      stream: true,
      mediaBase: new URL('http://127.0.0.1:8080'),
      ack: 'success',
      logger,
    });
    expect(options).toMatchObject({
      path: '/wecom/bot',
      receiveId: 'aibot-1',
      allowFrom: ['zhangsan'],
      ack: 'success',
      reactiveOnly: true,
      media: { protocols: ['http:'], hosts: ['127.0.0.1'] },
    });
    expect(botOptions({ config, host: '::', port: 0, stream: false, logger })).not.toHaveProperty('media');
  });
});
