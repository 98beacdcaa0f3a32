/**
 * examples/hermes-callback as a real child process against the simulated WeCom, over real HTTP:
 * every behaviour the reference adapter's page promises (several apps on one endpoint, replies
 * through the receiving app's token, the allowlist variables, /health) and its retry policy.
 */
import {
  type AppDriver,
  appEvent,
  appImage,
  appText,
  startWeComSimulator,
  type WeComSimulator,
} from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runExample, type StartedExample, startExample } from '../../test-support/child.js';
import { randomEncodingAESKey, type TempDir, tempDir } from '../../test-support/fixtures.js';

const ENTRY = 'examples/hermes-callback/src/main.ts';

interface TestApp {
  name: string;
  corpId: string;
  agentId: number;
  corpSecret: string;
  token: string;
  encodingAESKey: string;
}

// Two apps of one corp (the reference mixed them up: last one wins) and one of another corp.
const APPS: TestApp[] = [
  {
    name: 'dept-a',
    corpId: 'ww_corp_a',
    agentId: 1000002,
    corpSecret: 'secret-a',
    token: 'tokenA',
    encodingAESKey: randomEncodingAESKey(),
  },
  {
    name: 'dept-b',
    corpId: 'ww_corp_b',
    agentId: 1000003,
    corpSecret: 'secret-b',
    token: 'tokenB',
    encodingAESKey: randomEncodingAESKey(),
  },
  {
    name: 'hr-a',
    corpId: 'ww_corp_a',
    agentId: 1000004,
    corpSecret: 'secret-hr',
    token: 'tokenHR',
    encodingAESKey: randomEncodingAESKey(),
  },
];

function yamlApp(app: TestApp) {
  return {
    name: app.name,
    corp_id: app.corpId,
    corp_secret: app.corpSecret,
    agent_id: String(app.agentId),
    token: app.token,
    encoding_aes_key: app.encodingAESKey,
  };
}

function configYaml(extra: Record<string, unknown>, enabled = true): string {
  return stringify({ model: 'echo', platforms: { wecom_callback: { enabled, extra } } });
}

let sim: WeComSimulator;
let dir: TempDir;

beforeAll(async () => {
  sim = await startWeComSimulator({
    apps: APPS.map(({ name, corpId, corpSecret, agentId }) => ({ name, corpId, corpSecret, agentId })),
  });
  dir = tempDir('hermes-callback-test-');
});

afterAll(async () => {
  await sim?.close();
  dir?.remove();
});

function driver(app: TestApp, from = 'zhangsan'): AppDriver {
  const { corpId, agentId, token, encodingAESKey } = app;
  return sim.app({ corpId, agentId, token, encodingAESKey, from });
}

/** message/send calls whose text is exactly `content`. */
function sends(content: string) {
  return sim
    .calls('message/send')
    .filter((c) => (c.body as { text?: { content?: string } })?.text?.content === content);
}

function logLine(event: string, field: string, value: string): RegExp {
  const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`${quote(event)} .*"${field}":"${quote(value)}"`);
}

let msgIds = 7_000_000_000_000_000_000n;
function nextMsgId(): string {
  msgIds += 1n;
  return msgIds.toString();
}

describe('hermes-callback: three apps on one endpoint, allowlist from the environment', () => {
  let gw: StartedExample;

  beforeAll(async () => {
    const file = dir.write(
      'config.yaml',
      configYaml({ host: '127.0.0.1', port: 8645, apps: APPS.map(yamlApp) }),
    );
    gw = await startExample(ENTRY, ['--config', file, '--port', '0'], {
      env: {
        WECOM_API_BASE: sim.url,
        WECOM_CALLBACK_ALLOWED_USERS: 'ww_corp_a:zhangsan, ww_corp_b:zhangsan, ww_corp_a:lisi',
      },
    });
    // The non-fatal token warm-up: one gettoken per app.
    await gw.waitForLine(logLine('access token ready', 'app', 'hr-a'), { stream: 'stderr' });
  });

  afterAll(async () => {
    await gw?.stop('SIGKILL');
  });

  it('prints the ready line on the default path and warms up every app’s token once', () => {
    expect(gw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wecom\/callback$/);
    for (const app of APPS) expect(sim.calls('gettoken').filter((c) => c.app === app.name)).toHaveLength(1);
    expect(gw.stderr.find((line) => line.includes('WeCom callback ready'))).toContain('"allowed":"3 users"');
  });

  it('passes URL verification for every app on the shared path and on its own path', async () => {
    for (const app of APPS) {
      const shared = await driver(app).verify(gw.url);
      expect(shared.ok).toBe(true);
      expect(shared.body).toBe(shared.echo);
      expect((await driver(app).verify(`${gw.url}/${app.name}`)).ok).toBe(true);
    }
    const wrong = await driver(APPS[1]!).verify(`${gw.url}/dept-a`);
    expect(wrong.status).toBe(403);
  });

  it('answers GET /health with {"status":"ok","platform":"wecom_callback"}', async () => {
    const res = await fetch(`${gw.origin}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', platform: 'wecom_callback' });
  });

  it('echoes text through message/send of the app that received it, with that app’s token', async () => {
    for (const app of APPS) {
      const content = `hello from ${app.name}`;
      const msgId = nextMsgId();
      const res = await driver(app).send(
        gw.url,
        appText({ content, from: 'zhangsan', corpId: app.corpId, agentId: app.agentId, msgId }),
      );
      expect(res.status).toBe(200);
      expect(res.body).toBe('');
      await gw.waitForLine(logLine('reply.sent', 'msgId', msgId), { stream: 'stderr' });
      const [call, ...more] = sends(`echo: ${content}`);
      expect(more).toEqual([]);
      // The simulator maps the access_token to the app it was issued to.
      expect(call?.app).toBe(app.name);
      expect(call?.body).toMatchObject({ touser: 'zhangsan', msgtype: 'text', agentid: app.agentId });
    }
  });

  it('routes by the app that received the message even for the same user in two apps of one corp', async () => {
    const [a, , hr] = APPS as [TestApp, TestApp, TestApp];
    const one = nextMsgId();
    const two = nextMsgId();
    await driver(hr, 'lisi').send(
      gw.url,
      appText({ content: 'to hr', from: 'lisi', corpId: hr.corpId, agentId: hr.agentId, msgId: one }),
    );
    await driver(a, 'lisi').send(
      gw.url,
      appText({ content: 'to a', from: 'lisi', corpId: a.corpId, agentId: a.agentId, msgId: two }),
    );
    await gw.waitForLine(logLine('reply.sent', 'msgId', one), { stream: 'stderr' });
    await gw.waitForLine(logLine('reply.sent', 'msgId', two), { stream: 'stderr' });
    expect(sends('echo: to hr').map((c) => c.app)).toEqual(['hr-a']);
    expect(sends('echo: to a').map((c) => c.app)).toEqual(['dept-a']);
  });

  it('acknowledges but never answers a user outside WECOM_CALLBACK_ALLOWED_USERS', async () => {
    const app = APPS[0]!;
    const res = await driver(app, 'mallory').send(gw.url, 'let me in');
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    await gw.waitForLine(logLine('denied', 'user', 'mallory'), { stream: 'stderr' });
    expect(
      sim.calls('message/send').filter((c) => (c.body as { touser?: string }).touser === 'mallory'),
    ).toEqual([]);
  });

  it('dispatches a re-delivered callback (same MsgId) once: one message/send', async () => {
    const app = APPS[1]!;
    const msgId = nextMsgId();
    const message = appText({
      content: 'twice?',
      from: 'zhangsan',
      corpId: app.corpId,
      agentId: app.agentId,
      msgId,
    });
    const first = await driver(app).send(gw.url, message);
    const second = await driver(app).send(gw.url, message);
    expect([first.status, second.status]).toEqual([200, 200]);
    await gw.waitForLine(logLine('duplicate', 'app', 'dept-b'), { stream: 'stderr' });
    await gw.waitForLine(logLine('reply.sent', 'msgId', msgId), { stream: 'stderr' });
    expect(sends('echo: twice?')).toHaveLength(1);
  });

  it('tells the user when a message type is not supported, and acknowledges lifecycle events silently', async () => {
    const app = APPS[0]!;
    const msgId = nextMsgId();
    const image = appImage({
      picUrl: 'https://example.invalid/p.png',
      mediaId: 'm1',
      from: 'zhangsan',
      corpId: app.corpId,
      agentId: app.agentId,
      msgId,
    });
    await driver(app).send(gw.url, image);
    await gw.waitForLine(logLine('reply.sent', 'msgId', msgId), { stream: 'stderr' });
    expect(sends('(image messages are not supported by this echo gateway; send text)')).toHaveLength(1);
    const before = sim.count('message/send');
    const entered = await driver(app).send(
      gw.url,
      appEvent('enter_agent', { from: 'zhangsan', corpId: app.corpId, agentId: app.agentId }),
    );
    expect(entered.status).toBe(200);
    // The event was answered without dispatch: nothing is logged as inbound, nothing is sent.
    expect(gw.stderr.some((line) => line.includes('inbound') && line.includes('enter_agent'))).toBe(false);
    expect(sim.count('message/send')).toBe(before);
  });

  it('on 42001 (expired token) refreshes the token once and resends the message', async () => {
    const app = APPS[1]!;
    const tokensBefore = sim.calls('gettoken').filter((c) => c.app === app.name).length;
    expect(sim.expireTokens(app.name)).toBeGreaterThan(0);
    const msgId = nextMsgId();
    await driver(app).send(
      gw.url,
      appText({ content: 'after expiry', from: 'zhangsan', corpId: app.corpId, agentId: app.agentId, msgId }),
    );
    await gw.waitForLine(logLine('reply.sent', 'msgId', msgId), { stream: 'stderr' });
    const calls = sends('echo: after expiry');
    expect(calls.map((c) => (c.response as { errcode: number }).errcode)).toEqual([42001, 0]);
    expect(calls[0]!.query.access_token).not.toBe(calls[1]!.query.access_token);
    expect(calls[1]!.app).toBe(app.name);
    expect(sim.calls('gettoken').filter((c) => c.app === app.name)).toHaveLength(tokensBefore + 1);
  });

  it('retries errcode -1 (system busy) and delivers once', async () => {
    const app = APPS[0]!;
    sim.inject({ path: 'message/send', errcode: -1 });
    const msgId = nextMsgId();
    await driver(app).send(
      gw.url,
      appText({ content: 'busy', from: 'zhangsan', corpId: app.corpId, agentId: app.agentId, msgId }),
    );
    await gw.waitForLine(logLine('reply.sent', 'msgId', msgId), { stream: 'stderr' });
    expect(sends('echo: busy').map((c) => (c.response as { errcode: number }).errcode)).toEqual([-1, 0]);
  });

  it('does not retry other errcodes (60020: IP not allowed): one call, reported as failed', async () => {
    const app = APPS[2]!;
    sim.inject({ path: 'message/send', errcode: 60020 });
    const msgId = nextMsgId();
    await driver(app).send(
      gw.url,
      appText({ content: 'blocked', from: 'zhangsan', corpId: app.corpId, agentId: app.agentId, msgId }),
    );
    const line = await gw.waitForLine(logLine('reply.failed', 'msgId', msgId), { stream: 'stderr' });
    expect(line).toContain('"errcode":60020');
    expect(sends('echo: blocked')).toHaveLength(1);
  });

  it('never prints a token, key or secret', () => {
    const all = `${gw.stdout.join('\n')}\n${gw.stderr.join('\n')}`;
    for (const app of APPS) {
      for (const secret of [app.encodingAESKey, app.corpSecret, app.token]) expect(all).not.toContain(secret);
    }
  });

  it('shuts down gracefully on SIGTERM with exit code 0', async () => {
    expect(await gw.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(gw.stderr.some((line) => line.includes('stopped'))).toBe(true);
  });
});

describe('hermes-callback: single-app fields, WECOM_CALLBACK_ALLOW_ALL_USERS, WeCom re-delivery', () => {
  const app = APPS[0]!;
  let gw: StartedExample;

  beforeAll(async () => {
    const { name: _name, ...fields } = yamlApp(app);
    const file = dir.write('single.yaml', configYaml({ host: '127.0.0.1', ...fields }));
    gw = await startExample(
      ENTRY,
      ['--config', file, '--port', '0', '--api-base', sim.url, '--ack-delay-ms', '400'],
      {
        env: { WECOM_CALLBACK_ALLOW_ALL_USERS: 'true', WECOM_CALLBACK_ALLOWED_USERS: undefined },
      },
    );
  });

  afterAll(async () => {
    await gw?.stop('SIGKILL');
  });

  it('serves the single app as "default" and lets everyone in', async () => {
    expect(gw.stderr.find((line) => line.includes('WeCom callback ready'))).toContain('"allowed":"everyone"');
    expect((await driver(app).verify(`${gw.url}/default`)).ok).toBe(true);
    const msgId = nextMsgId();
    await driver(app, 'wangwu').send(
      gw.url,
      appText({ content: 'anyone?', from: 'wangwu', corpId: app.corpId, agentId: app.agentId, msgId }),
    );
    await gw.waitForLine(logLine('reply.sent', 'msgId', msgId), { stream: 'stderr' });
    expect(sends('echo: anyone?').map((c) => (c.body as { touser: string }).touser)).toEqual(['wangwu']);
  });

  it('acknowledges WeCom’s re-deliveries of a slow callback without answering twice', async () => {
    const msgId = nextMsgId();
    const message = appText({
      content: 'slow one',
      from: 'zhaoliu',
      corpId: app.corpId,
      agentId: app.agentId,
      msgId,
    });
    // The gateway holds the first delivery 400 ms; the driver re-delivers after 250 ms (WeCom: 5 s):
    // the copy that finds the first still being handled gets 503, the one after it a 200.
    const res = await driver(app, 'zhaoliu').send(gw.url, message, { redeliverAfterMs: 250 });
    expect(res.deliveries).toBeGreaterThanOrEqual(2);
    expect(res.status).toBe(200);
    await gw.waitForLine(logLine('reply.sent', 'msgId', msgId), { stream: 'stderr' });
    expect(sends('echo: slow one')).toHaveLength(1);
    expect(
      gw.stderr.filter((line) => line.includes(' inbound ') && line.includes(`"msgId":"${msgId}"`)),
    ).toHaveLength(1);
  });
});

describe('hermes-callback: the reference’s default allowlist and configuration errors', () => {
  it('denies everyone when neither allowlist variable is set, and says so at start', async () => {
    const app = APPS[2]!;
    const file = dir.write('deny.yaml', configYaml({ host: '127.0.0.1', apps: [yamlApp(app)] }));
    const gw = await startExample(ENTRY, ['--config', file, '--port', '0', '--api-base', sim.url], {
      env: { WECOM_CALLBACK_ALLOWED_USERS: undefined, WECOM_CALLBACK_ALLOW_ALL_USERS: undefined },
    });
    try {
      expect(gw.stderr.some((line) => line.includes('warn: no user is allowed'))).toBe(true);
      const res = await driver(app).send(gw.url, 'hello?');
      expect(res.status).toBe(200);
      await gw.waitForLine(logLine('denied', 'user', 'zhangsan'), { stream: 'stderr' });
    } finally {
      expect(await gw.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
  });

  it('exit 2 with a clear message and no secret; a disabled platform exits 0', async () => {
    const app = APPS[0]!;
    const shortKey = app.encodingAESKey.slice(0, 40);
    const files = {
      shortKey: dir.write(
        'short-key.yaml',
        configYaml({ apps: [{ ...yamlApp(app), encoding_aes_key: shortKey }] }),
      ),
      noSecret: dir.write(
        'no-secret.yaml',
        configYaml({ apps: [{ ...yamlApp(app), corp_secret: undefined }] }),
      ),
      noApps: dir.write('no-apps.yaml', configYaml({ port: 8645 })),
      syntax: dir.write('syntax.yaml', `platforms:\n  wecom_callback:\n    extra: {token: "${app.token}"\n`),
      disabled: dir.write('off.yaml', configYaml({ apps: [yamlApp(app)] }, false)),
      good: dir.write('good.yaml', configYaml({ apps: [yamlApp(app)] })),
    };
    const [key, secret, apps, syntax, env, off] = await Promise.all([
      runExample(ENTRY, ['--config', files.shortKey]),
      runExample(ENTRY, ['--config', files.noSecret]),
      runExample(ENTRY, ['--config', files.noApps]),
      runExample(ENTRY, ['--config', files.syntax]),
      runExample(ENTRY, ['--config', files.good], { env: { WECOM_CALLBACK_ALLOWED_USERS: 'a:b:c:d' } }),
      runExample(ENTRY, [], { env: { HERMES_CONFIG: files.disabled } }),
    ]);
    expect(key.code).toBe(2);
    expect(key.stderr).toContain(
      'platforms.wecom_callback.extra.apps[0].encoding_aes_key must be exactly 43 characters (got 40)',
    );
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain('apps[0].corp_secret is required');
    expect(apps.code).toBe(2);
    expect(apps.stderr).toContain(
      'has no app: give "apps" (a list) or corp_id, corp_secret, agent_id, token, encoding_aes_key',
    );
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/syntax\.yaml is not valid YAML \(\w+\) at line \d+, column \d+/);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('allowFrom: entries must be userId, corpId:userId or corpId:agentId:userId');
    expect(off.code).toBe(0);
    expect(off.stderr).toContain('platforms.wecom_callback.enabled is false');
    for (const run of [key, secret, apps, syntax, env, off]) {
      expect(run.stdout).not.toContain('listening on');
      for (const value of [app.token, app.encodingAESKey, app.corpSecret, shortKey])
        expect(run.stderr).not.toContain(value);
    }
  });
});
