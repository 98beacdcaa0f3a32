/**
 * The app APIs a gateway needs, against the simulated WeCom (@maven/wecom-testing) on real sockets:
 * JS-SDK tickets (single flight, two replicas on the real Redis, expiry), wx.config signatures,
 * group chats, send outcomes, template card updates, media, and the 40001 / 45009 paths.
 */
import { jsSdkSignature } from '@maven/wecom-crypto';
import { createRedisStore, type RedisStore } from '@maven/wecom-redis';
import { startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Message,
  type TemplateCard,
  WeComApi,
  type WeComApiOptions,
  WeComMediaTooLargeError,
  wxConfigParams,
} from '../src/index.js';
import { makeApp } from './helpers.js';

const app = makeApp();
let sim: WeComSimulator;
let redis: Redis;

beforeAll(async () => {
  sim = await startWeComSimulator({
    apps: [{ name: app.name, corpId: app.corpId, corpSecret: app.corpSecret, agentId: app.agentId }],
    unlicensedUsers: ['lisi'],
  });
  redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});

afterAll(async () => {
  await sim.close();
  await redis.quit();
});

function newApi(extra: Partial<WeComApiOptions> = {}): WeComApi {
  return new WeComApi({
    corpId: app.corpId,
    agentId: app.agentId,
    corpSecret: app.corpSecret,
    http: { baseUrl: sim.url, retry: { backoff: { baseMs: 1, maxMs: 2, jitter: 0 } } },
    rateLimitRetry: { baseMs: 1, maxMs: 4 },
    ...extra,
  });
}

/** The ticket values the simulator answered, in order. */
const issued = (key: 'get_jsapi_ticket' | 'ticket/get') =>
  sim
    .calls(key)
    .map((c) => (c.response as { ticket?: string } | undefined)?.ticket)
    .filter((t): t is string => typeof t === 'string');

describe('JS-SDK tickets', () => {
  it('200 concurrent callers make one get_jsapi_ticket and one ticket/get', async () => {
    const api = newApi();
    const corpBefore = sim.count('get_jsapi_ticket');
    const agentBefore = sim.count('ticket/get');
    const url = 'https://app.example.com/page?x=1#/route';
    const [configs, agents] = await Promise.all([
      Promise.all(Array.from({ length: 200 }, () => api.jsSdkConfig(url))),
      Promise.all(Array.from({ length: 200 }, () => api.agentConfig(url))),
    ]);
    expect(sim.count('get_jsapi_ticket') - corpBefore).toBe(1);
    expect(sim.count('ticket/get') - agentBefore).toBe(1);
    expect(sim.calls('ticket/get').at(-1)!.query.type).toBe('agent_config');
    const corpTicket = issued('get_jsapi_ticket').at(-1)!;
    const agentTicket = issued('ticket/get').at(-1)!;
    expect(corpTicket).not.toBe(agentTicket);
    const config = configs[0]!;
    expect(config).toMatchObject({ beta: true, appId: app.corpId });
    expect(config.signature).toBe(
      await jsSdkSignature({
        ticket: corpTicket,
        nonceStr: config.nonceStr,
        timestamp: config.timestamp,
        url,
      }),
    );
    const agent = agents[0]!;
    expect(agent).toMatchObject({ corpid: app.corpId, agentid: app.agentId });
    expect(agent.signature).toBe(
      await jsSdkSignature({
        ticket: agentTicket,
        nonceStr: agent.nonceStr,
        timestamp: agent.timestamp,
        url,
      }),
    );
    expect(new Set(configs.map((c) => c.nonceStr)).size).toBe(200);
  }, 30_000);

  it("wx.config parameters reproduce WeCom's documented signature example", async () => {
    const params = await wxConfigParams(
      'wwcorp',
      'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
      'http://mp.weixin.qq.com?params=value',
      { nonceStr: 'Wm3WZYTPz0wzccnW', timestamp: 1414587457 },
      Date.now,
    );
    expect(params).toEqual({
      beta: true,
      appId: 'wwcorp',
      timestamp: 1414587457,
      nonceStr: 'Wm3WZYTPz0wzccnW',
      signature: '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
    });
  });

  it('two replicas sharing the real Redis make one fetch of each ticket', async () => {
    const prefix = `wecom-test:${crypto.randomUUID()}:`;
    const stores: RedisStore[] = [
      createRedisStore({ client: redis, prefix }),
      createRedisStore({ client: redis, prefix }),
    ];
    const replicas = stores.map((store) => newApi({ store, tickets: { pollIntervalMs: 5 } }));
    const corpBefore = sim.count('get_jsapi_ticket');
    const agentBefore = sim.count('ticket/get');
    const tokensBefore = sim.count('gettoken');
    const results = await Promise.all(
      replicas.flatMap((api) => [
        ...Array.from({ length: 25 }, () => api.tickets.corp.get()),
        ...Array.from({ length: 25 }, () => api.tickets.agent.get()),
      ]),
    );
    expect(sim.count('get_jsapi_ticket') - corpBefore).toBe(1);
    expect(sim.count('ticket/get') - agentBefore).toBe(1);
    expect(sim.count('gettoken') - tokensBefore).toBe(1);
    expect(new Set(results).size).toBe(2);
    expect(replicas[0]!.tickets.corp.fetchCount + replicas[1]!.tickets.corp.fetchCount).toBe(1);
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.sort()).toEqual(
      [
        `${prefix}agent-ticket:${app.corpId}:${app.agentId}`,
        `${prefix}jsapi-ticket:${app.corpId}:${app.agentId}`,
        `${prefix}token:${app.corpId}:${app.agentId}`,
      ].sort(),
    );
    await redis.del(...keys);
  });

  it('an expired ticket is refreshed once, however many callers ask', async () => {
    let clock = Date.now();
    const api = newApi({ now: () => clock });
    const first = await api.tickets.corp.get();
    expect(await api.tickets.corp.get()).toBe(first);
    expect(api.tickets.corp.fetchCount).toBe(1);
    clock += 7200 * 1000; // past expiry
    const after = await Promise.all(Array.from({ length: 50 }, () => api.tickets.corp.get()));
    expect(api.tickets.corp.fetchCount).toBe(2);
    expect(new Set(after).size).toBe(1);
    expect(after[0]).not.toBe(first);
  });
});

describe('group chats (appchat)', () => {
  it('create, update, get and send, with WeCom errcodes for what it refuses', async () => {
    const api = newApi();
    const chatid = await api.createAppChat({
      name: 'ops',
      owner: 'zhangsan',
      userlist: ['zhangsan', 'lisi'],
    });
    expect(chatid).toMatch(/^[0-9A-Za-z]+$/);
    await api.updateAppChat({ chatid, name: 'ops-2', add_user_list: ['wangwu'], del_user_list: ['lisi'] });
    expect(await api.getAppChat(chatid)).toEqual({
      chatid,
      name: 'ops-2',
      owner: 'zhangsan',
      userlist: ['zhangsan', 'wangwu'],
      chat_type: 0,
    });
    await api.sendAppChat(chatid, Message.markdown('**deploy** done'));
    const sent = sim.calls('appchat/send').at(-1)!;
    expect(sent.body).toMatchObject({
      chatid,
      msgtype: 'markdown',
      markdown: { content: '**deploy** done' },
    });
    expect(sent.response).toMatchObject({ errcode: 0 });
    await expect(api.getAppChat('nosuchchat')).rejects.toMatchObject({ errcode: 86003 });
    await expect(api.createAppChat({ userlist: ['solo'] })).rejects.toThrow(/2 to 2000/);
    await expect(api.createAppChat({ userlist: ['a', 'b'], chatid })).rejects.toMatchObject({
      errcode: 86215,
    });
    await expect(
      api.sendAppChat(chatid, Message.templateCard({ card_type: 'text_notice' } as TemplateCard)),
    ).rejects.toThrow(/does not take template_card/);
  });
});

describe('message/send outcome and template card updates', () => {
  it('reports invaliduser, invalidparty, invalidtag and unlicenseduser as typed fields', async () => {
    const api = newApi();
    const result = await api.send({
      message: Message.text('hi'),
      touser: ['zhangsan', 'lisi'],
      toparty: ['2', 'sales'],
      totag: 'x',
    });
    expect(result).toMatchObject({
      invaliduser: [],
      invalidparty: ['sales'],
      invalidtag: ['x'],
      unlicenseduser: ['lisi'],
    });
    expect(result.msgid).not.toBe('');
  });

  const cards: TemplateCard[] = (
    ['text_notice', 'news_notice', 'button_interaction', 'vote_interaction', 'multiple_interaction'] as const
  ).map(
    (card_type) =>
      ({ card_type, main_title: { title: card_type }, task_id: `t-${card_type}` }) as TemplateCard,
  );

  it.each(cards)('update_template_card replaces an interactive card with a $card_type card', async (card) => {
    const api = newApi();
    const sent = await api.send({
      message: Message.templateCard({
        card_type: 'button_interaction',
        task_id: `src-${card.card_type}`,
      } as TemplateCard),
      touser: 'zhangsan',
    });
    expect(sent.response_code).toMatch(/.+/);
    const updated = await api.updateTemplateCard({
      response_code: sent.response_code!,
      userids: ['zhangsan'],
      template_card: card,
    });
    expect(updated).toEqual({ invaliduser: [], invalidparty: [], invalidtag: [] });
    expect(sim.calls('message/update_template_card').at(-1)!.body).toMatchObject({ template_card: card });
    // A response_code is single-use.
    await expect(
      api.updateTemplateCard({ response_code: sent.response_code!, button: { replace_name: 'done' } }),
    ).rejects.toMatchObject({ errcode: 42022 });
  });
});

describe('media', () => {
  it('media/uploadimg returns a permanent URL; over 2 MB is refused before any request', async () => {
    const api = newApi();
    const png = new Uint8Array(64).fill(7);
    const url = await api.uploadImage({ data: png, filename: 'logo.png' });
    expect(url).toMatch(/^https:\/\/wework\.qpic\.cn\//);
    const before = sim.count('media/uploadimg');
    const error = await api
      .uploadImage({ data: new Uint8Array(2 * 1024 * 1024 + 1), filename: 'big.png' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeComMediaTooLargeError);
    expect(error).toMatchObject({ code: 'media_too_large', status: 413, limit: 2 * 1024 * 1024 });
    expect(sim.count('media/uploadimg')).toBe(before);
  });

  it.each([
    ['file', 20 * 1024 * 1024],
    ['video', 10 * 1024 * 1024],
    ['voice', 2 * 1024 * 1024],
  ] as const)('%s over %i bytes is refused with a typed error before upload', async (type, limit) => {
    const api = newApi();
    const before = sim.count('media/upload');
    await expect(
      api.uploadMedia({
        type,
        data: new Uint8Array(limit + 1),
        filename: `big.${type === 'voice' ? 'amr' : 'bin'}`,
      }),
    ).rejects.toMatchObject({ code: 'media_too_large', limit, size: limit + 1 });
    expect(sim.count('media/upload')).toBe(before);
  });

  it('getMediaStream hands over the unread body; errors are typed like getMedia', async () => {
    const api = newApi();
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    const { media_id } = await api.uploadMedia({ type: 'file', data: bytes, filename: 'big.bin' });
    const stream = await api.getMediaStream(media_id);
    expect(stream.body).toBeInstanceOf(ReadableStream);
    expect(stream.filename).toBe('big.bin');
    let total = 0;
    const chunks: Uint8Array[] = [];
    const reader = stream.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
    expect(total).toBe(bytes.byteLength);
    expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).toBe(true);
    await expect(api.getMediaStream('no-such-media')).rejects.toMatchObject({ errcode: 40007 });
  });
});

describe('streamed media and secrets', () => {
  it('a failing stream request never quotes the URL (access_token) in its error', async () => {
    // A fetch whose error quotes the URL, as some runtimes' do.
    const api = newApi({
      fetch: async (input) => {
        throw new TypeError(`fetch failed for ${String(input)}`);
      },
    });
    const token = await api.tokens.get();
    const error = await api.getMediaStream('m1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network_error', status: 502 });
    expect(String((error as Error).message)).not.toContain(token);
    expect(JSON.stringify(error)).not.toContain(token);
  });
});

describe('token and rate-limit errors', () => {
  it('40001 on a cached token: exactly one refresh and one resend', async () => {
    const api = newApi();
    await api.send({ message: Message.text('warm'), touser: 'zhangsan' });
    const tokens = sim.count('gettoken');
    const sends = sim.count('message/send');
    sim.inject({ path: 'message/send', errcode: 40001 });
    await api.send({ message: Message.text('again'), touser: 'zhangsan' });
    expect(sim.count('gettoken') - tokens).toBe(1);
    expect(sim.count('message/send') - sends).toBe(2);
  });

  it('40001 again after the refresh is thrown, never a loop', async () => {
    const api = newApi();
    await api.send({ message: Message.text('warm'), touser: 'zhangsan' });
    const tokens = sim.count('gettoken');
    const sends = sim.count('message/send');
    sim.inject({ path: 'message/send', errcode: 40001, times: 5 });
    await expect(api.send({ message: Message.text('x'), touser: 'zhangsan' })).rejects.toMatchObject({
      errcode: 40001,
    });
    expect(sim.count('gettoken') - tokens).toBe(1);
    expect(sim.count('message/send') - sends).toBe(2);
    sim.clearFaults();
  });

  it('40001 on a token fetched for this very call is not retried', async () => {
    const api = newApi();
    const sends = sim.count('message/send');
    const tokens = sim.count('gettoken');
    sim.inject({ path: 'message/send', errcode: 40001 });
    await expect(api.send({ message: Message.text('x'), touser: 'zhangsan' })).rejects.toMatchObject({
      errcode: 40001,
    });
    expect(sim.count('message/send') - sends).toBe(1);
    expect(sim.count('gettoken') - tokens).toBe(1);
  });

  it('45009 is retried with backoff and succeeds when the limit lifts', async () => {
    const api = newApi();
    const sends = sim.count('message/send');
    sim.inject({ path: 'message/send', errcode: 45009, times: 2 });
    const result = await api.send({ message: Message.text('x'), touser: 'zhangsan' });
    expect(result.msgid).not.toBe('');
    expect(sim.count('message/send') - sends).toBe(3);
  });

  it('a persistent 45009 / 45033 is reported with its errcode after the bounded attempts', async () => {
    for (const errcode of [45009, 45033]) {
      const api = newApi({ rateLimitRetry: { attempts: 4, baseMs: 1, maxMs: 2 } });
      const sends = sim.count('message/send');
      sim.inject({ path: 'message/send', errcode, times: 10 });
      await expect(api.send({ message: Message.text('x'), touser: 'zhangsan' })).rejects.toMatchObject({
        errcode,
      });
      expect(sim.count('message/send') - sends).toBe(4);
      sim.clearFaults();
    }
  });

  it('the total time cap stops retries before the attempts run out', async () => {
    // The clock advances 1 ms per message/send the simulator has seen since `base`.
    const t0 = Date.now();
    let base = sim.count('message/send');
    const api = newApi({
      now: () => t0 + (sim.count('message/send') - base),
      rateLimitRetry: { attempts: 10, baseMs: 1, maxMs: 1, totalMs: 3 },
    });
    await api.tokens.get();
    base = sim.count('message/send');
    sim.inject({ path: 'message/send', errcode: 45009, times: 10 });
    await expect(api.send({ message: Message.text('x'), touser: 'zhangsan' })).rejects.toMatchObject({
      errcode: 45009,
    });
    // After try k the clock reads k ms and the next wait is 1 ms: tries 1–3 fit in 3 ms, a 4th would not.
    expect(sim.count('message/send') - base).toBe(3);
    sim.clearFaults();
  });
});
