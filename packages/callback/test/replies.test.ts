import { utf8Length } from '@maven/wecom-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppConfig,
  CallbackRouter,
  type CallbackRouterOptions,
  Reply,
  type ReplyDeliveredInfo,
  type ReplyFailedInfo,
  type ReplyOutcome,
} from '../src/index.js';
import { type FakeWeCom, startFakeWeCom } from './fake-wecom.js';
import {
  callbackFor,
  captureLogger,
  deferred,
  eventXml,
  listen,
  makeApp,
  nextEvent,
  openReply,
  post,
  textXml,
} from './helpers.js';

const a = makeApp();
const b = makeApp();
let wecom: FakeWeCom;

beforeAll(async () => {
  wecom = await startFakeWeCom({ apps: [a, b] });
});
afterAll(async () => {
  await wecom.close();
});

function router(options: Partial<CallbackRouterOptions> = {}): CallbackRouter {
  return new CallbackRouter({
    apps: [a, b],
    http: { baseUrl: wecom.baseUrl, retry: { backoff: { baseMs: 1, maxMs: 5 } } },
    ...options,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('passive replies within the deadline', () => {
  it('ctx.reply(text) goes back encrypted in the HTTP response', async () => {
    const r = router();
    const delivered: ReplyDeliveredInfo[] = [];
    r.on('reply.delivered', (info) => {
      delivered.push(info);
    });
    let outcome: ReplyOutcome | undefined;
    r.on('text', async (msg, ctx) => {
      outcome = await ctx.reply(`echo: ${msg.content}`);
    });
    const sendsBefore = wecom.count('/cgi-bin/message/send');
    const out = await post(r, callbackFor(a, textXml(a, 'ping', { from: 'lisi' })));
    expect(out.status).toBe(200);
    expect(out.headers['content-type']).toContain('xml');
    const reply = openReply(out.body, a)!;
    expect(reply.message).toMatchObject({
      ToUserName: 'lisi',
      FromUserName: a.corpId,
      MsgType: 'text',
      Content: 'echo: ping',
    });
    expect(outcome).toEqual({ channel: 'passive' });
    expect(delivered).toEqual([
      {
        app: a.name,
        chatId: `${a.corpId}:${a.agentId}:lisi`,
        channel: 'passive',
        kind: 'text',
        sentMsgIds: [],
      },
    ]);
    expect(wecom.count('/cgi-bin/message/send')).toBe(sendsBefore);
  });

  it('an async handler that replies before the deadline still replies passively; over HTTP too', async () => {
    const r = router({ deadlineMs: 2000 });
    r.on('text', async (_msg, ctx) => {
      await sleep(20);
      await ctx.reply(Reply.text('after a moment'));
    });
    const server = await listen(r);
    try {
      const cb = callbackFor(b, textXml(b, 'x'));
      const res = await fetch(`${server.url}/wecom/callback${cb.search}`, { method: 'POST', body: cb.body });
      expect(res.status).toBe(200);
      expect(openReply(await res.text(), b)!.message).toMatchObject({ Content: 'after a moment' });
    } finally {
      await server.close();
    }
  });

  it('answers at once (empty 200) when every handler finished without replying', async () => {
    const r = router({ deadlineMs: 4000 });
    r.on('text', async () => {
      await sleep(5);
    });
    const out = await post(r, callbackFor(a, textXml(a, 'x')));
    expect(out).toMatchObject({ status: 200, body: '' });
  });

  it('image, voice, video, news, update_button and update_template_card replies', async () => {
    const cases = [
      [Reply.image('MID1'), { MsgType: 'image', Image: { MediaId: 'MID1' } }],
      [Reply.voice('MID2'), { MsgType: 'voice', Voice: { MediaId: 'MID2' } }],
      [
        Reply.video({ mediaId: 'MID3', title: 'T', description: 'D' }),
        { MsgType: 'video', Video: { MediaId: 'MID3', Title: 'T', Description: 'D' } },
      ],
      [
        Reply.news([
          { title: 'one', description: 'd1', picUrl: 'https://p/1', url: 'https://u/1' },
          { title: 'two', url: 'https://u/2' },
        ]),
        {
          MsgType: 'news',
          ArticleCount: '2',
          Articles: {
            item: [
              { Title: 'one', Description: 'd1', PicUrl: 'https://p/1', Url: 'https://u/1' },
              { Title: 'two', Url: 'https://u/2' },
            ],
          },
        },
      ],
      [Reply.updateButton('已处理'), { MsgType: 'update_button', Button: { ReplaceName: '已处理' } }],
      [
        Reply.updateTemplateCard({
          card_type: 'button_interaction',
          main_title: { title: 'Done' },
          horizontal_content_list: [
            { keyname: 'k1', value: 'v1' },
            { keyname: 'k2', value: 'v2', type: 1 },
          ],
          replace_text: '已提交',
        }),
        {
          MsgType: 'update_template_card',
          TemplateCard: {
            CardType: 'button_interaction',
            MainTitle: { Title: 'Done' },
            HorizontalContentList: [
              { KeyName: 'k1', Value: 'v1' },
              { KeyName: 'k2', Value: 'v2', Type: '1' },
            ],
            ReplaceText: '已提交',
          },
        },
      ],
    ] as const;
    for (const [reply, expected] of cases) {
      const r = router();
      r.on('event.template_card_event', (_evt, ctx) => {
        void ctx.reply(reply);
      });
      const out = await post(
        r,
        callbackFor(
          a,
          eventXml(a, 'template_card_event', {
            EventKey: 'k',
            TaskId: 't',
            CardType: 'button_interaction',
            ResponseCode: 'rc',
          }),
        ),
      );
      expect(openReply(out.body, a)!.message).toMatchObject(expected);
    }
  });
});

describe('active replies after the deadline', () => {
  it('answers empty 200 at the deadline, then sends through message/send of the app that received it', async () => {
    const r = router({ deadlineMs: 30 });
    const gotReply = deferred<ReplyOutcome>();
    const release = deferred();
    r.on('text', async (msg, ctx) => {
      await release.promise; // held until the router has answered: only the deadline can end the wait
      expect(ctx.passiveOpen).toBe(false);
      gotReply.resolve(await ctx.reply(`late: ${msg.content}`));
    });
    const delivered = nextEvent<ReplyDeliveredInfo>(r, 'reply.delivered');
    const out = await post(r, callbackFor(b, textXml(b, 'slow question', { from: 'zhaoliu' })));
    expect(out).toMatchObject({ status: 200, body: '' });
    release.resolve();
    const outcome = await gotReply.promise;
    expect(outcome.channel).toBe('api');
    const info = await delivered;
    expect(info).toMatchObject({
      app: b.name,
      channel: 'api',
      kind: 'text',
      chatId: `${b.corpId}:${b.agentId}:zhaoliu`,
    });
    const send = wecom.calls('/cgi-bin/message/send').at(-1)!;
    expect(send.tokenOwner).toBe(b.corpSecret);
    expect(send.json).toMatchObject({
      touser: 'zhaoliu',
      agentid: b.agentId,
      msgtype: 'text',
      text: { content: 'late: slow question' },
    });
    expect(info.sentMsgIds).toEqual([expect.stringMatching(/^msgid-/)]);
    await r.close();
  });

  it('multi-app: each reply goes out with the token and agentid of the app that received the message', async () => {
    const r = router({ deadlineMs: 0 });
    const done: Promise<ReplyOutcome>[] = [];
    const release = deferred();
    r.on('text', async (msg, ctx) => {
      await release.promise;
      done.push(ctx.reply(`to ${msg.content}`));
    });
    const before = wecom.count('/cgi-bin/message/send');
    await post(r, callbackFor(a, textXml(a, 'A', { from: 'u-a' })));
    await post(r, callbackFor(b, textXml(b, 'B', { from: 'u-b' })));
    release.resolve();
    await r.close();
    await Promise.all(done);
    const sends = wecom.calls('/cgi-bin/message/send').slice(before);
    const byUser = Object.fromEntries(sends.map((s) => [s.json!.touser as string, s]));
    expect(byUser['u-a']!.tokenOwner).toBe(a.corpSecret);
    expect(byUser['u-a']!.json!.agentid).toBe(a.agentId);
    expect(byUser['u-b']!.tokenOwner).toBe(b.corpSecret);
    expect(byUser['u-b']!.json!.agentid).toBe(b.agentId);
  });

  it('long text is split at 2048 UTF-8 bytes into several sends, in order', async () => {
    const r = router();
    const line = `${'长'.repeat(300)}\n`; // 901 bytes per line
    const long = line.repeat(7);
    const outcome = deferred<ReplyOutcome>();
    r.on('text', (_msg, ctx) => {
      void ctx.reply(long).then(outcome.resolve);
    });
    const before = wecom.count('/cgi-bin/message/send');
    const out = await post(r, callbackFor(a, textXml(a, 'tell me everything', { from: 'qian' })));
    expect(out).toMatchObject({ status: 200, body: '' });
    const result = await outcome.promise;
    const sends = wecom.calls('/cgi-bin/message/send').slice(before);
    expect(sends.length).toBeGreaterThanOrEqual(4);
    const parts = sends.map((s) => (s.json!.text as { content: string }).content);
    for (const p of parts) {
      expect(utf8Length(p)).toBeLessThanOrEqual(2048);
      expect(p.endsWith('\n')).toBe(true);
    }
    expect(parts.join('')).toBe(long);
    expect(result).toEqual({ channel: 'api', sentMsgIds: sends.map(() => expect.stringMatching(/^msgid-/)) });
    for (const s of sends) expect(s.tokenOwner).toBe(a.corpSecret);
  });

  it('a second reply after the passive one is sent actively', async () => {
    const r = router();
    const second = deferred<ReplyOutcome>();
    r.on('text', async (_msg, ctx) => {
      await ctx.reply('first');
      second.resolve(await ctx.reply('second'));
    });
    const out = await post(r, callbackFor(a, textXml(a, 'x', { from: 'sun' })));
    expect(openReply(out.body, a)!.message).toMatchObject({ Content: 'first' });
    expect(await second.promise).toMatchObject({ channel: 'api' });
    expect(wecom.calls('/cgi-bin/message/send').at(-1)!.json).toMatchObject({
      touser: 'sun',
      text: { content: 'second' },
    });
  });

  it('update_button after the deadline uses message/update_template_card with the ResponseCode', async () => {
    const r = router({ deadlineMs: 0 });
    const done = deferred<ReplyOutcome>();
    const release = deferred();
    r.on('event.template_card_event', async (_evt, ctx) => {
      await release.promise;
      done.resolve(await ctx.reply(Reply.updateButton('Approved')));
    });
    await post(
      r,
      callbackFor(
        a,
        eventXml(
          a,
          'template_card_event',
          { EventKey: 'ok', TaskId: 't9', CardType: 'button_interaction', ResponseCode: 'RC-9' },
          { from: 'zhou' },
        ),
      ),
    );
    release.resolve();
    expect(await done.promise).toEqual({ channel: 'api', sentMsgIds: [] });
    expect(wecom.calls('/cgi-bin/message/update_template_card').at(-1)!.json).toEqual({
      agentid: a.agentId,
      response_code: 'RC-9',
      userids: ['zhou'],
      button: { replace_name: 'Approved' },
    });
  });

  it('media and news replies after the deadline become the matching message/send payloads', async () => {
    const r = router({ deadlineMs: 0 });
    const release = deferred();
    const done: Promise<ReplyOutcome>[] = [];
    r.on('text', async (_m, ctx) => {
      await release.promise;
      done.push(ctx.reply(Reply.image('IMG')));
      done.push(ctx.reply(Reply.voice('VOI')));
      done.push(ctx.reply(Reply.video({ mediaId: 'VID', title: 'T' })));
      done.push(
        ctx.reply(Reply.news([{ title: 'N', url: 'https://u', picUrl: 'https://p', description: 'D' }])),
      );
    });
    const before = wecom.count('/cgi-bin/message/send');
    await post(r, callbackFor(a, textXml(a, 'x', { from: 'wu' })));
    release.resolve();
    await r.close();
    await Promise.all(done);
    const bodies = wecom
      .calls('/cgi-bin/message/send')
      .slice(before)
      .map((c) => c.json);
    expect(bodies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msgtype: 'image', image: { media_id: 'IMG' } }),
        expect.objectContaining({ msgtype: 'voice', voice: { media_id: 'VOI' } }),
        expect.objectContaining({ msgtype: 'video', video: { media_id: 'VID', title: 'T' } }),
        expect.objectContaining({
          msgtype: 'news',
          news: { articles: [{ title: 'N', description: 'D', url: 'https://u', picurl: 'https://p' }] },
        }),
      ]),
    );
    expect(bodies).toHaveLength(4);
  });

  it('invalid replies and replies to system callbacks are refused with reply.failed', async () => {
    const r = router();
    const failures: ReplyFailedInfo[] = [];
    r.on('reply.failed', (info) => {
      failures.push(info);
    });
    const errors: unknown[] = [];
    r.on('text', async (_m, ctx) => {
      await ctx.reply({ type: 'sticker' } as never).catch((e: unknown) => errors.push(e));
      await ctx.reply('').catch((e: unknown) => errors.push(e));
    });
    r.on('event.change_contact', async (_e, ctx) => {
      await ctx.reply('hello sys').catch((e: unknown) => errors.push(e));
    });
    expect(await post(r, callbackFor(a, textXml(a, 'x')))).toMatchObject({ status: 200, body: '' });
    const sys = eventXml(a, 'change_contact', { ChangeType: 'delete_user', UserID: 'gone' }, { from: 'sys' });
    expect(await post(r, callbackFor(a, sys))).toMatchObject({ status: 200, body: '' });
    expect(errors.map((e) => (e as { code: string }).code)).toEqual([
      'invalid_message',
      'invalid_message',
      'no_reply_target',
    ]);
    expect(failures.map((f) => f.kind)).toEqual(['invalid', 'invalid', 'invalid']);
  });

  it('an app without corpSecret cannot reply actively: reply.failed, and ctx.reply rejects', async () => {
    const { corpSecret: _s, ...noSecret } = makeApp();
    const r = new CallbackRouter({ app: noSecret as AppConfig, deadlineMs: 0 });
    const failed = nextEvent<ReplyFailedInfo>(r, 'reply.failed');
    const rejection = deferred<unknown>();
    const release = deferred();
    r.on('text', async (_m, ctx) => {
      await release.promise;
      await ctx.reply('x').catch(rejection.resolve);
    });
    expect((await post(r, callbackFor(noSecret, textXml(noSecret, 'x')))).status).toBe(200);
    release.resolve();
    const info = await failed;
    expect(info).toMatchObject({ app: noSecret.name, channel: 'api', kind: 'text' });
    expect(String((info.error as Error).message)).toMatch(/no corpSecret/);
    expect(await rejection.promise).toBe(info.error);
  });

  it('handler errors become "error" events (or error logs), and the callback is still answered', async () => {
    const r = router();
    r.on('text', () => {
      throw new Error('handler exploded');
    });
    const errored = nextEvent<Error>(r, 'error');
    expect((await post(r, callbackFor(a, textXml(a, 'x')))).status).toBe(200);
    expect((await errored).message).toBe('handler exploded');

    const { logger, lines } = captureLogger();
    const r2 = router({ logger });
    r2.on('text', async () => {
      throw new Error('async failure');
    });
    expect((await post(r2, callbackFor(a, textXml(a, 'x')))).status).toBe(200);
    await sleep(5);
    expect(lines.some((l) => l.startsWith('error a listener failed') && l.includes('async failure'))).toBe(
      true,
    );
  });

  it('close() waits for active replies still in flight', async () => {
    const r = router({ deadlineMs: 0 });
    wecom.inject({ path: '/cgi-bin/message/send', delayMs: 80 });
    let settled = false;
    const release = deferred();
    r.on('text', async (_m, ctx) => {
      await release.promise;
      await ctx.reply('slow send').finally(() => {
        settled = true;
      });
    });
    await post(r, callbackFor(a, textXml(a, 'x')));
    release.resolve();
    expect(settled).toBe(false);
    await r.close({ timeoutMs: 5000 });
    expect(settled).toBe(true);
    expect((await post(r, callbackFor(a, textXml(a, 'after close')))).status).toBe(503);
  });
});
