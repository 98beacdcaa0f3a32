import { parseXml } from '@maven/wecom-crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appEvent,
  appText,
  botImage,
  botText,
  startWeComSimulator,
  toAppMessageXml,
  type WeComSimulator,
} from '../src/index.js';
import { startTinyWebhook, type TinyWebhook } from './fixtures/tiny-webhook.js';
import { OTHER, SET_A } from './vectors.js';

const KEYS = { token: SET_A.token, encodingAESKey: SET_A.encodingAESKey };

let sim: WeComSimulator;
let hook: TinyWebhook | undefined;

beforeEach(async () => {
  sim = await startWeComSimulator();
});
afterEach(async () => {
  await hook?.close();
  hook = undefined;
  await sim.close();
});

describe('bot driver', () => {
  it('verify() passes against a correct webhook and fails with another key', async () => {
    hook = await startTinyWebhook({ mode: 'bot', ...KEYS });
    const ok = await sim.bot(KEYS).verify(hook.url);
    expect(ok).toMatchObject({ status: 200, ok: true });
    expect(ok.body).toBe(ok.echo);
    const wrong = await sim.bot(OTHER).verify(hook.url);
    expect(wrong.ok).toBe(false);
    expect(wrong.status).toBe(401);
    expect(hook.verifications).toBe(2);
  });

  it('send() delivers an encrypted callback with a fresh response_url and decrypts the passive reply', async () => {
    hook = await startTinyWebhook({
      mode: 'bot',
      ...KEYS,
      onMessage: ({ message }) => {
        const msg = JSON.parse(message) as { text: { content: string } };
        return JSON.stringify({
          msgtype: 'stream',
          stream: { id: 's1', finish: false, content: `echo: ${msg.text.content}` },
        });
      },
    });
    const res = await sim.bot(KEYS).send(hook.url, 'hello');
    expect(res).toMatchObject({ status: 200, deliveries: 1 });
    expect(res.reply).toEqual({
      msgtype: 'stream',
      stream: { id: 's1', finish: false, content: 'echo: hello' },
    });
    expect(res.responseUrl?.startsWith(`${sim.url}/cgi-bin/aibot/response?response_code=`)).toBe(true);
    const delivered = JSON.parse(hook.received[0]!.message) as Record<string, unknown>;
    expect(delivered).toMatchObject({
      msgtype: 'text',
      text: { content: 'hello' },
      response_url: res.responseUrl,
    });
  });

  it('the webhook can answer through the response_url the callback carried', async () => {
    hook = await startTinyWebhook({
      mode: 'bot',
      ...KEYS,
      onMessage: ({ message }) => {
        const { response_url } = JSON.parse(message) as { response_url: string };
        setTimeout(() => {
          void fetch(response_url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ msgtype: 'markdown', markdown: { content: 'later' } }),
          });
        }, 10);
        return '';
      },
    });
    const res = await sim.bot(KEYS).send(hook.url, botImage({ url: 'https://example.invalid/x.png' }));
    expect(res.reply).toBeNull();
    const got = await sim.waitForResponse(res.responseUrl!, { timeoutMs: 2000 });
    expect(got.body).toEqual({ msgtype: 'markdown', markdown: { content: 'later' } });
  });

  it('re-delivers the same msgid when the webhook does not answer in time: 3 deliveries in total', async () => {
    hook = await startTinyWebhook({ mode: 'bot', ...KEYS, onMessage: () => 'hang' });
    const res = await sim.bot(KEYS).send(hook.url, botText({ content: 'slow' }), { redeliverAfterMs: 100 });
    expect(res.deliveries).toBe(3);
    expect(res.status).toBe(0);
    expect(res.attempts.map((a) => a.error)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(hook.received).toHaveLength(3);
    const ids = hook.received.map((r) => (JSON.parse(r.message) as { msgid: string }).msgid);
    expect(new Set(ids).size).toBe(1);
    expect(new Set(hook.received.map((r) => r.nonce)).size).toBe(3);
  });

  it('stops re-delivering once an answer arrives; non-200 answers are re-delivered', async () => {
    hook = await startTinyWebhook({
      mode: 'bot',
      ...KEYS,
      onMessage: (_m, index) => (index === 0 ? 'hang' : index === 1 ? { raw: 'busy', status: 503 } : ''),
    });
    // Long enough that the 503 and the empty 200 always arrive in time; only the hang times out.
    const res = await sim.bot(KEYS).send(hook.url, 'hi', { redeliverAfterMs: 500 });
    expect(res.deliveries).toBe(3);
    expect(res.attempts.map((a) => a.status)).toEqual([0, 503, 200]);
    expect(res.reply).toBeNull();
    const once = await sim.bot(KEYS).send(hook.url, 'hi', { redeliver: false, redeliverAfterMs: 100 });
    expect(once.deliveries).toBe(1);
  });

  it('template_card_event is delivered only once (documented), other events like messages', async () => {
    hook = await startTinyWebhook({ mode: 'bot', ...KEYS, onMessage: () => 'hang' });
    const bot = sim.bot(KEYS);
    const card = await bot.event(
      hook.url,
      'template_card_event',
      { event_key: 'k', task_id: 't' },
      { redeliverAfterMs: 80 },
    );
    expect(card.deliveries).toBe(1);
    expect(card.responseUrl).toBeDefined();
    const enter = await bot.event(hook.url, 'enter_chat', {}, { redeliverAfterMs: 80, maxDeliveries: 2 });
    expect(enter.deliveries).toBe(2);
    expect(enter.responseUrl).toBeUndefined();
  });

  it('pollStream() sends refresh callbacks until finish=true and returns the frames', async () => {
    const contents = ['1', '12', '123'];
    hook = await startTinyWebhook({
      mode: 'bot',
      ...KEYS,
      onMessage: ({ message }, index) => {
        const msg = JSON.parse(message) as { msgtype: string; stream?: { id: string } };
        if (msg.msgtype === 'text')
          return JSON.stringify({ msgtype: 'stream', stream: { id: 'st', finish: false, content: '' } });
        const content = contents[index - 1] ?? '';
        return JSON.stringify({
          msgtype: 'stream',
          stream: { id: msg.stream?.id, finish: content === '123', content },
        });
      },
    });
    const bot = sim.bot(KEYS);
    const first = await bot.send(hook.url, 'stream please');
    const streamId = first.reply?.stream?.id;
    expect(streamId).toBe('st');
    const polled = await bot.pollStream(hook.url, streamId!, { intervalMs: 10, maxPolls: 10 });
    expect(polled).toMatchObject({ finished: true, polls: 3, content: '123' });
    expect(polled.frames.map((f) => f.stream?.content)).toEqual(['1', '12', '123']);
    const refresh = JSON.parse(hook.received[1]!.message) as Record<string, unknown>;
    expect(refresh).toMatchObject({ msgtype: 'stream', stream: { id: 'st' } });
    expect(refresh.response_url).toBeUndefined();
  });

  it('pollStream() gives up after maxPolls when the stream never finishes', async () => {
    hook = await startTinyWebhook({
      mode: 'bot',
      ...KEYS,
      onMessage: () =>
        JSON.stringify({ msgtype: 'stream', stream: { id: 'x', finish: false, content: '…' } }),
    });
    const polled = await sim.bot(KEYS).pollStream(hook.url, 'x', { intervalMs: 5, maxPolls: 4 });
    expect(polled).toMatchObject({ finished: false, polls: 4 });
    expect(polled.frames).toHaveLength(4);
  });

  it('a reply signed with the wrong nonce is refused (or reported with strictReply: false)', async () => {
    hook = await startTinyWebhook({
      mode: 'bot',
      ...KEYS,
      onMessage: () => ({
        raw: JSON.stringify({ encrypt: 'AAAA', msgsignature: 'x', timestamp: 1, nonce: 'not-the-nonce' }),
      }),
    });
    await expect(sim.bot(KEYS).send(hook.url, 'x')).rejects.toMatchObject({ code: 'signature_mismatch' });
    const lenient = await sim.bot(KEYS).send(hook.url, 'x', { strictReply: false });
    expect(lenient.reply).toBeNull();
    expect(lenient.replyError).toBeInstanceOf(Error);
  });

  it('validates driver options eagerly', () => {
    expect(() => sim.bot({ ...KEYS, encodingAESKey: 'short' })).toThrow(/43/);
    expect(() => sim.bot({ ...KEYS, tokn: 'x' } as never)).toThrow(/unknown option/);
    expect(JSON.stringify(sim.bot(KEYS))).not.toContain(SET_A.token);
  });
});

describe('app driver', () => {
  const CORP = SET_A.corpId;

  it('verify() and send() with an XML passive reply', async () => {
    hook = await startTinyWebhook({
      mode: 'app',
      ...KEYS,
      corpId: CORP,
      onMessage: ({ message }) => {
        const msg = parseXml(message);
        return toAppMessageXml({
          ToUserName: String(msg.FromUserName),
          FromUserName: CORP,
          CreateTime: 1,
          MsgType: 'text',
          Content: `got ${String(msg.Content)}`,
        });
      },
    });
    const app = sim.app({ corpId: CORP, agentId: 218, ...KEYS });
    expect((await app.verify(hook.url)).ok).toBe(true);
    const res = await app.send(hook.url, 'ping');
    expect(res).toMatchObject({ status: 200, deliveries: 1 });
    expect(res.reply?.message).toMatchObject({ MsgType: 'text', Content: 'got ping', FromUserName: CORP });
    expect(parseXml(res.plaintext)).toMatchObject({ MsgType: 'text', AgentID: '218', ToUserName: CORP });
  });

  it('send() accepts message objects, events and raw XML; empty and "success" replies are null', async () => {
    hook = await startTinyWebhook({
      mode: 'app',
      ...KEYS,
      corpId: CORP,
      onMessage: (_m, i) => (i === 0 ? '' : { raw: 'success' }),
    });
    const app = sim.app({ corpId: CORP, agentId: '218', ...KEYS });
    const a = await app.send(hook.url, appText({ content: 'x', from: 'u1', corpId: CORP, agentId: 218 }));
    expect(a.reply).toBeNull();
    const b = await app.event(hook.url, 'click', { EventKey: 'menu' });
    expect(b.reply).toBeNull();
    expect(parseXml(hook.received[1]!.message)).toMatchObject({
      MsgType: 'event',
      Event: 'click',
      EventKey: 'menu',
    });
    await app.send(
      hook.url,
      toAppMessageXml(appEvent('enter_agent', { from: 'u2', corpId: CORP, agentId: 218 })),
    );
    expect(parseXml(hook.received[2]!.message)).toMatchObject({ Event: 'enter_agent', FromUserName: 'u2' });
  });

  it('re-delivers up to 3 times when the callback does not answer within the interval', async () => {
    hook = await startTinyWebhook({ mode: 'app', ...KEYS, corpId: CORP, onMessage: () => 'hang' });
    const res = await sim
      .app({ corpId: CORP, agentId: 218, ...KEYS })
      .send(hook.url, 'x', { redeliverAfterMs: 80 });
    expect(res.deliveries).toBe(3);
    const ids = hook.received.map((r) => parseXml(r.message).MsgId);
    expect(new Set(ids).size).toBe(1);
  });

  it('takes corpId/agentId from a registered app by name', async () => {
    const withApps = await startWeComSimulator({
      apps: [{ name: 'hermes', corpId: CORP, corpSecret: 's', agentId: 218 }],
    });
    try {
      const app = withApps.app({ name: 'hermes', ...KEYS });
      expect(app).toMatchObject({ corpId: CORP, agentId: 218 });
      expect(() => withApps.app({ name: 'nope', ...KEYS })).toThrow(/corpId and agentId/);
    } finally {
      await withApps.close();
    }
  });
});
