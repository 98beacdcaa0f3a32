import { botEvent, botText, botVoice, buildBotCallback } from '@maven/wecom-testing';
import { describe, expect, it } from 'vitest';
import type { DeliveryResult } from '../src/index.js';
import { botSuite, decryptReply, gate, KEY, post, TOKEN } from './helpers.js';

const suite = botSuite(2000);
const setup = suite.setup;

describe('ctx.reply', () => {
  it('within the deadline: a passive stream frame with finish:true, encrypted with the request nonce', async () => {
    const t = setup();
    const results: DeliveryResult[] = [];
    t.bot.on('text', async (m, ctx) => {
      expect(ctx.passiveOpen).toBe(true);
      results.push(await ctx.reply(`echo: ${m.text}`, { feedbackId: 'fb-42' }));
      expect(ctx.passiveOpen).toBe(false);
    });
    const url = suite.wecom.responseUrl();
    const out = await post(t.bot, botText({ content: 'hi', responseUrl: url }));
    expect(out.status).toBe(200);
    expect(out.headers['content-type']).toMatch(/^application\/json/);
    const envelope = JSON.parse(out.body) as Record<string, unknown>;
    expect(Object.keys(envelope).sort()).toEqual(['encrypt', 'msgsignature', 'nonce', 'timestamp']);
    expect(envelope.nonce).toBe(out.nonce);
    expect(out.reply).toMatchObject({
      msgtype: 'stream',
      stream: { finish: true, content: 'echo: hi', feedback: { id: 'fb-42' } },
    });
    expect(typeof out.reply?.stream?.id).toBe('string');
    expect(results[0]).toMatchObject({ ok: true, channel: 'passive', kind: 'stream' });
    expect(t.delivered).toHaveLength(1);
    expect(t.delivered[0]).toMatchObject({ channel: 'passive', kind: 'stream', finish: true });
    expect(suite.wecom.callsFor(url)).toHaveLength(0);
  });

  it('after the deadline: the message own response_url with markdown', async () => {
    const t = setup();
    const answered = gate();
    const done = gate<DeliveryResult>();
    t.bot.on('text', async (m, ctx) => {
      await answered.promise;
      expect(ctx.passiveOpen).toBe(false);
      done.open(await ctx.reply(`late: ${m.text}`));
    });
    const url = suite.wecom.responseUrl();
    const out = await post(t.bot, botText({ content: 'slow', responseUrl: url }));
    expect(out.status).toBe(200);
    expect(out.body).toBe('');
    answered.open();
    const result = await done.promise;
    expect(result).toMatchObject({ ok: true, channel: 'response_url', kind: 'markdown' });
    expect(suite.wecom.callsFor(url).map((c) => c.body)).toEqual([
      { msgtype: 'markdown', markdown: { content: 'late: slow' } },
    ]);
    expect(t.delivered.map((d) => d.channel)).toEqual(['response_url']);
  });

  it('a second reply in the same handler goes to response_url (passive slot taken)', async () => {
    const t = setup();
    const second = gate<DeliveryResult>();
    t.bot.on('text', async (_m, ctx) => {
      await ctx.reply('first');
      second.open(await ctx.reply('second'));
    });
    const url = suite.wecom.responseUrl();
    const out = await post(t.bot, botText({ content: 'x', responseUrl: url }));
    expect(out.reply?.stream?.content).toBe('first');
    expect(await second.promise).toMatchObject({ ok: true, channel: 'response_url' });
    expect(suite.wecom.callsFor(url)[0]?.body).toEqual({
      msgtype: 'markdown',
      markdown: { content: 'second' },
    });
  });

  it('a late reply to a message without response_url fails with no_target (an event, not silence)', async () => {
    const t = setup();
    const done = gate<DeliveryResult>();
    const answered = gate();
    t.bot.on('text', async (_m, ctx) => {
      await answered.promise;
      done.open(await ctx.reply('nowhere'));
    });
    await post(t.bot, botText({ content: 'x' }));
    answered.open();
    expect(await done.promise).toMatchObject({ ok: false, reason: 'no_target' });
    expect(t.failed).toHaveLength(1);
  });
});

describe('acknowledgements', () => {
  it("ack 'empty' (default) answers an empty 200", async () => {
    const t = setup();
    t.bot.on('text', () => {});
    const out = await post(t.bot, botText({ content: 'x' }));
    expect(out.status).toBe(200);
    expect(out.body).toBe('');
  });

  it('ack \'success\' answers the encrypted envelope around the JSON string "success"', async () => {
    const t = setup({ ack: 'success' });
    t.bot.on('text', () => {});
    const out = await post(t.bot, botText({ content: 'x' }));
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body)).toHaveProperty('msgsignature');
    // decryptReply JSON-parses the plaintext: the JSON string "success" parses to 'success'.
    expect(out.reply).toBe('success');
  });
});

describe('events', () => {
  it('enter_chat: welcome text passively', async () => {
    const t = setup();
    t.bot.on('event.enter_chat', (_e, ctx) => ctx.welcome('欢迎 👋'));
    const out = await post(t.bot, botEvent('enter_chat'));
    expect(out.reply).toEqual({ msgtype: 'text', text: { content: '欢迎 👋' } });
    expect(t.delivered[0]).toMatchObject({ channel: 'passive', kind: 'text' });
  });

  it('enter_chat: welcome card passively; a late welcome fails with deadline_passed', async () => {
    const t = setup();
    const card = { card_type: 'text_notice' as const, main_title: { title: 'Hi' } };
    t.bot.on('event.enter_chat', (_e, ctx) => ctx.welcome(card));
    const out = await post(t.bot, botEvent('enter_chat'));
    expect(out.reply).toEqual({ msgtype: 'template_card', template_card: card });

    const late = setup();
    const answered = gate();
    const result = gate<DeliveryResult>();
    late.bot.on('event.enter_chat', async (_e, ctx) => {
      await answered.promise;
      result.open(await ctx.welcome('too late'));
    });
    const lateOut = await post(late.bot, botEvent('enter_chat'));
    expect(lateOut.body).toBe('');
    answered.open();
    expect(await result.promise).toMatchObject({ ok: false, reason: 'deadline_passed' });
    expect(late.failed).toHaveLength(1);
  });

  it('template_card_event: updateCard answers update_template_card with the task_id', async () => {
    const t = setup();
    t.bot.on('event.template_card_event', (e, ctx) =>
      ctx.updateCard({ card_type: 'button_interaction', main_title: { title: `chosen ${e.eventKey}` } }, [
        'zhangsan',
      ]),
    );
    const out = await post(
      t.bot,
      botEvent('template_card_event', { card_type: 'button_interaction', event_key: 'yes', task_id: 'T1' }),
    );
    expect(out.reply).toEqual({
      response_type: 'update_template_card',
      userids: ['zhangsan'],
      template_card: { card_type: 'button_interaction', main_title: { title: 'chosen yes' }, task_id: 'T1' },
    });
  });

  it('updateCard with a different task_id and welcome outside enter_chat throw invalid_reply', async () => {
    const t = setup();
    const thrown: string[] = [];
    t.bot.on('event.template_card_event', (_e, ctx) => {
      try {
        void ctx.updateCard({ card_type: 'text_notice', task_id: 'other' });
      } catch (e) {
        thrown.push((e as { code: string }).code);
      }
    });
    t.bot.on('callback', (_m, ctx) => {
      if (_m.type !== 'text') return;
      try {
        void ctx.welcome('hi');
      } catch (e) {
        thrown.push((e as { code: string }).code);
      }
    });
    await post(t.bot, botEvent('template_card_event', { task_id: 'T1' }));
    await post(t.bot, botText({ content: 'x' }));
    expect(thrown).toEqual(['invalid_reply', 'invalid_reply']);
  });

  it('replyCard: passive template_card in the deadline; via response_url later; refused in groups', async () => {
    const t = setup();
    const card = { card_type: 'news_notice' as const, main_title: { title: 'News' } };
    t.bot.on('text', (_m, ctx) => ctx.replyCard(card));
    const out = await post(t.bot, botText({ content: 'card please' }));
    expect(out.reply).toEqual({ msgtype: 'template_card', template_card: card });

    const late = setup();
    const answered = gate();
    const results: DeliveryResult[] = [];
    const finished = gate();
    late.bot.on('text', async (_m, ctx) => {
      await answered.promise;
      results.push(await ctx.replyCard(card));
      if (results.length === 2) finished.open();
    });
    const single = suite.wecom.responseUrl();
    const group = suite.wecom.responseUrl();
    await post(late.bot, botText({ content: 'a', responseUrl: single }));
    await post(late.bot, botText({ content: 'b', responseUrl: group, chatid: 'wrgroup' }));
    answered.open();
    await finished.promise;
    expect(results.map((r) => (r.ok ? 'ok' : r.reason)).sort()).toEqual(['ok', 'unsupported']);
    expect(suite.wecom.callsFor(single).map((c) => c.body)).toEqual([
      { msgtype: 'template_card', template_card: card },
    ]);
    expect(suite.wecom.callsFor(group)).toHaveLength(0);
  });

  it('feedback_event takes no passive reply: reply goes to response_url or fails', async () => {
    const t = setup();
    const got = gate<DeliveryResult>();
    t.bot.on('callback', async (m, ctx) => {
      if (m.type === 'event.feedback_event') got.open(await ctx.reply('thanks'));
    });
    const out = await post(t.bot, botEvent('feedback_event', { id: 'f', type: 1 }));
    expect(out.body).toBe('');
    expect(await got.promise).toMatchObject({ ok: false, reason: 'no_target' });
  });

  it('a slow listener is raced: the response leaves at the deadline, the listener keeps running', async () => {
    const t = setup();
    const finished = gate();
    let finishedFlag = false;
    t.bot.on('voice', async () => {
      await new Promise((r) => setTimeout(r, 400));
      finishedFlag = true;
      finished.open();
    });
    const out = await post(t.bot, botVoice({ content: 'x' }));
    expect(out.status).toBe(200);
    expect(finishedFlag).toBe(false);
    await finished.promise;
    expect(finishedFlag).toBe(true);
  });

  it('the response goes out as soon as a passive reply is chosen, not when the listener ends', async () => {
    const t = setup({ deadlineMs: 4000 });
    const release = gate();
    t.bot.on('text', async (_m, ctx) => {
      await ctx.reply('quick');
      await release.promise;
    });
    const out = await post(t.bot, botText({ content: 'x' }));
    expect(out.reply?.stream?.content).toBe('quick');
    release.open();
  });
});

describe('decryptReply helper sanity', () => {
  it('rejects a reply signed for another nonce', async () => {
    const t = setup();
    t.bot.on('text', (_m, ctx) => ctx.reply('x'));
    const out = await post(t.bot, botText({ content: 'x' }));
    expect(() => decryptReply(out.body, 'another-nonce')).toThrow();
  });
});

describe('background work', () => {
  it("late replies are handed to the runtime's waitUntil and to ctx.waitUntil; close() drains them", async () => {
    const t = setup();
    const handed: Promise<unknown>[] = [];
    const answered = gate();
    let extraDone = false;
    t.bot.on('text', async (_m, ctx) => {
      ctx.waitUntil(
        new Promise<void>((resolve) =>
          setTimeout(() => {
            extraDone = true;
            resolve();
          }, 50),
        ),
      );
      await answered.promise;
      await ctx.reply('late');
    });
    const url = suite.wecom.responseUrl([{ json: { errcode: 0 }, delayMs: 50 }]);
    const cb = buildBotCallback({
      token: TOKEN,
      encodingAESKey: KEY,
      message: botText({ content: 'x', responseUrl: url }),
    });
    const res = await t.bot.handle(
      new Request(`http://localhost/suite.wecom/bot${cb.search}`, { method: 'POST', body: cb.body }),
      {
        waitUntil: (p) => {
          handed.push(p);
        },
      },
    );
    expect(res.status).toBe(200);
    expect(handed.length).toBeGreaterThanOrEqual(2);
    answered.open();
    await t.bot.close({ timeoutMs: 3000 });
    expect(extraDone).toBe(true);
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
    expect(t.delivered).toMatchObject([{ channel: 'response_url' }]);
  });
});
