/**
 * hermes-callback's configuration as the reference adapter reads it: the environment variables
 * alone (a real child process with no config file), their merge with a config file, the defaults,
 * unquoted YAML numbers, the allowlist's corp scope and what a config error may echo.
 */
import { appText, startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runExample, startExample } from '../../test-support/child.js';
import { randomEncodingAESKey, type TempDir, tempDir } from '../../test-support/fixtures.js';
import {
  ConfigError,
  DEFAULT_HOST,
  DEFAULT_PATH,
  DEFAULT_PORT,
  mergeEnv,
  parseYamlText,
} from '../src/config.js';

const ENTRY = 'examples/hermes-callback/src/main.ts';
const APP = {
  corpId: 'ww_env_corp',
  corpSecret: 'env-corp-secret-9',
  agentId: 1000009,
  token: 'envToken5',
  encodingAESKey: randomEncodingAESKey(),
};
const APP_ENV = {
  WECOM_CALLBACK_CORP_ID: APP.corpId,
  WECOM_CALLBACK_CORP_SECRET: APP.corpSecret,
  WECOM_CALLBACK_AGENT_ID: String(APP.agentId),
  WECOM_CALLBACK_TOKEN: APP.token,
  WECOM_CALLBACK_ENCODING_AES_KEY: APP.encodingAESKey,
};
/** Every variable the gateway reads, unset: the child sees only what a test gives it. */
const CLEAN_ENV = {
  HERMES_CONFIG: undefined,
  WECOM_API_BASE: undefined,
  WECOM_CALLBACK_ALLOWED_USERS: undefined,
  WECOM_CALLBACK_ALLOW_ALL_USERS: undefined,
  WECOM_CALLBACK_HOST: undefined,
  WECOM_CALLBACK_PORT: undefined,
  WECOM_CALLBACK_PATH: undefined,
};

function problems(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

let sim: WeComSimulator;
let dir: TempDir;

beforeAll(async () => {
  sim = await startWeComSimulator({
    apps: [{ name: 'env', corpId: APP.corpId, corpSecret: APP.corpSecret, agentId: APP.agentId }],
  });
  dir = tempDir('hermes-env-test-');
});

afterAll(async () => {
  await sim?.close();
  dir?.remove();
});

describe('the environment alone, as a real child process', () => {
  it('starts with only WECOM_CALLBACK_* variables: host, port and path from them, replies through the app', async () => {
    const gw = await startExample(ENTRY, [], {
      env: {
        ...CLEAN_ENV,
        ...APP_ENV,
        WECOM_CALLBACK_HOST: '127.0.0.1',
        WECOM_CALLBACK_PORT: '0',
        WECOM_CALLBACK_PATH: '/hooks/wecom',
        WECOM_CALLBACK_ALLOWED_USERS: 'zhaoliu',
        WECOM_API_BASE: sim.url,
      },
    });
    try {
      expect(gw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/wecom$/);
      const { corpId, agentId, token, encodingAESKey } = APP;
      const driver = sim.app({ corpId, agentId, token, encodingAESKey, from: 'zhaoliu' });
      expect((await driver.verify(gw.url)).ok).toBe(true);
      const res = await driver.send(
        gw.url,
        appText({ content: 'from env', from: 'zhaoliu', corpId: APP.corpId, agentId: APP.agentId }),
      );
      expect(res.status).toBe(200);
      await gw.waitForLine(/reply\.sent/, { stream: 'stderr' });
      const sent = sim
        .calls('message/send')
        .filter((c) => (c.body as { text?: { content?: string } }).text?.content === 'echo: from env');
      expect(sent).toHaveLength(1);
      expect(sent[0]?.body).toMatchObject({ touser: 'zhaoliu', agentid: APP.agentId });
      for (const secret of [APP.token, APP.encodingAESKey, APP.corpSecret])
        expect(gw.output()).not.toContain(secret);
    } finally {
      expect(await gw.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
  });

  it('names the variable a bad value came from, never its value; no config at all says what to set', async () => {
    const shortKey = APP.encodingAESKey.slice(0, 41);
    const [bad, none] = await Promise.all([
      runExample(ENTRY, [], { env: { ...CLEAN_ENV, ...APP_ENV, WECOM_CALLBACK_ENCODING_AES_KEY: shortKey } }),
      runExample(ENTRY, [], { env: { ...CLEAN_ENV } }),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('WECOM_CALLBACK_ENCODING_AES_KEY must be exactly 43 characters (got 41)');
    expect(bad.stderr).not.toContain(shortKey);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('or configure the app with WECOM_CALLBACK_CORP_ID');
  });
});

describe('defaults and the merge with a config file', () => {
  it('has the reference defaults: 0.0.0.0, port 8645, /wecom/callback, the app named "default"', () => {
    const config = mergeEnv(undefined, APP_ENV);
    expect([DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PATH]).toEqual(['0.0.0.0', 8645, '/wecom/callback']);
    expect(config).toMatchObject({ enabled: true, host: '0.0.0.0', port: 8645, path: '/wecom/callback' });
    expect(config.apps).toEqual([
      {
        name: 'default',
        corpId: APP.corpId,
        corpSecret: APP.corpSecret,
        agentId: APP.agentId,
        token: APP.token,
        encodingAESKey: APP.encodingAESKey,
      },
    ]);
  });

  it('a field in the file wins; a variable fills what the file leaves out', () => {
    const file = {
      platforms: {
        wecom_callback: { enabled: true, extra: { port: 9000, corp_id: 'ww_file', token: 'fileToken' } },
      },
    };
    const config = mergeEnv(file, { ...APP_ENV, WECOM_CALLBACK_PORT: '1234', WECOM_CALLBACK_PATH: '/x' });
    expect(config).toMatchObject({ port: 9000, path: '/x', host: '0.0.0.0' });
    expect(config.apps[0]).toMatchObject({ corpId: 'ww_file', token: 'fileToken', agentId: APP.agentId });
  });

  it('refuses single-app variables next to an apps list (which app they belong to is not said)', () => {
    const file = { platforms: { wecom_callback: { enabled: true, extra: { apps: [] } } } };
    expect(problems(() => mergeEnv(file, { WECOM_CALLBACK_TOKEN: 'x' }))[0]).toContain(
      'WECOM_CALLBACK_TOKEN configure the single-app form, but the config file lists apps',
    );
  });
});

describe('YAML', () => {
  it('reads an unquoted numeric token, agent_id or corp_id as the text it means', () => {
    const text = [
      'platforms:',
      '  wecom_callback:',
      '    enabled: true',
      '    extra:',
      '      port: 8645',
      '      corp_id: 0012345',
      '      corp_secret: 1e3',
      '      agent_id: 1000002',
      '      token: 0123456789',
      `      encoding_aes_key: ${APP.encodingAESKey}`,
      '',
    ].join('\n');
    const config = mergeEnv(parseYamlText(text, 'numbers.yaml'), {});
    expect(config.port).toBe(8645);
    expect(config.apps[0]).toMatchObject({
      corpId: '0012345',
      corpSecret: '1e3',
      agentId: 1000002,
      token: '0123456789',
    });
  });
});

describe('start-up refusals, as a real child process', () => {
  const twoCorps = (extra: Record<string, unknown> = {}) =>
    stringify({
      platforms: {
        wecom_callback: {
          enabled: true,
          extra: {
            host: '127.0.0.1',
            apps: [
              {
                name: 'a',
                corp_id: 'ww_a',
                corp_secret: 's-a',
                agent_id: '1',
                token: 'tA',
                encoding_aes_key: randomEncodingAESKey(),
              },
              {
                name: 'b',
                corp_id: 'ww_b',
                corp_secret: 's-b',
                agent_id: '2',
                token: 'tB',
                encoding_aes_key: randomEncodingAESKey(),
              },
            ],
            ...extra,
          },
        },
      },
    });

  it('refuses a bare allowlist id when the apps are in several corps, and accepts the scoped form', async () => {
    const file = dir.write('two-corps.yaml', twoCorps());
    const [bare, scoped] = await Promise.all([
      runExample(ENTRY, ['--config', file, '--port', '0'], {
        env: { ...CLEAN_ENV, WECOM_CALLBACK_ALLOWED_USERS: 'ww_a:lisi, zhangsan' },
      }),
      startExample(ENTRY, ['--config', file, '--port', '0', '--api-base', sim.url], {
        env: { ...CLEAN_ENV, WECOM_CALLBACK_ALLOWED_USERS: 'ww_a:zhangsan,ww_b:lisi' },
      }),
    ]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(
      'WECOM_CALLBACK_ALLOWED_USERS has bare user ids (zhangsan) but the apps are in 2 corps (ww_a, ww_b)',
    );
    expect(bare.stderr).toContain('write corpId:userId (e.g. ww_a:zhangsan)');
    expect(bare.stdout).not.toContain('listening on');
    expect(scoped.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wecom\/callback$/);
    expect(await scoped.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('does not echo a secret pasted in a key’s place; a short unknown key is named', async () => {
    const pasted = randomEncodingAESKey();
    const file = dir.write('pasted.yaml', twoCorps({ [pasted]: 'oops', tokne: 'x' }));
    const run = await runExample(ENTRY, ['--config', file], { env: { ...CLEAN_ENV } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('extra.<a 43-character key, not shown> is not a known field');
    expect(run.stderr).toContain('extra.tokne is not a known field');
    expect(run.stderr).not.toContain(pasted);
  });
});
