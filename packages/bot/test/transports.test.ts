/**
 * One table of callbacks, run through `WeComBot` twice: over the webhook (the simulator's bot
 * driver POSTs encrypted callbacks to the bot's HTTP server) and over the long connection (the
 * simulator's WebSocket server pushes frames to the bot). The same listeners answer both; the
 * answers must be the same bodies (on the long connection under the command the callback needs).
 */
import { randomBytes } from 'node:crypto';
import {
  type BotMessage,
  botEvent,
  botFile,
  botImage,
  botMixed,
  botText,
  botVoice,
  startWeComSimulator,
  type WeComSimulator,
} from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotCallback, WeComBot } from '../src/index.ts';
import { KEY, serveBot, TOKEN } from './helpers.ts';
import { BOT, NodeWebSocket, SECRET, until } from './ws-helpers.ts';

interface Answer {
  /** The long connection's command (undefined on the webhook). */
  cmd?: string | undefined;
  msgtype: string | undefined;
  content: string | undefined;
  finish?: boolean | undefined;
}

interface Transport {
  name: 'webhook' | 'websocket';
  bot: WeComBot;
  /** The media URL of `bytes` as this transport's messages carry it. */
  media(bytes: Uint8Array): { url: string; aeskey?: string };
  /** Delivers the callback; the bot's first answer, or null when it gave none (`answered: false`). */
  deliver(message: BotMessage, answered?: boolean): Promise<Answer | null>;
  close(): Promise<void>;
}

function answerOf(body: Record<string, unknown> | null, cmd?: string): Answer | null {
  if (body === null) return null;
  const stream = body.stream as { content?: string; finish?: boolean } | undefined;
  const text = body.text as { content?: string } | undefined;
  const card = body.template_card as { main_title?: { title?: string } } | undefined;
  return {
    ...(cmd ? { cmd } : {}),
    msgtype: (body.msgtype ?? body.response_type) as string | undefined,
    content: stream?.content ?? text?.content ?? card?.main_title?.title,
    ...(stream ? { finish: stream.finish } : {}),
  };
}

const seen: Record<string, string[][]> = { webhook: [], websocket: [] };
/** The texts the `message` listener handled, per transport. */
const handled: Record<string, string[]> = { webhook: [], websocket: [] };

/** The listeners every transport gets: identical code. */
function listen(bot: WeComBot, name: string): void {
  const log = seen[name]!;
  for (const event of ['message', 'event', 'callback', 'denied', 'duplicate', 'error'] as const) {
    bot.on(event, ((first: { type?: string; key?: string }) => {
      log.push([event, String(first?.type ?? (first instanceof Error ? first.message : ''))]);
    }) as never);
  }
  bot.on('message', async (m, ctx) => {
    handled[name]!.push(m.text);
    if (m.text === 'boom') throw new Error('listener failed on purpose');
    let extra = '';
    if (m.media.length > 0) extra = ` bytes=${(await ctx.downloadMedia()).bytes.length}`;
    await ctx.reply(`${m.type}:${m.text}${extra}`);
  });
  bot.on('event.enter_chat', (_e, ctx) => void ctx.welcome('welcome!'));
  bot.on('event.template_card_event', (_e, ctx) => {
    void ctx.updateCard({ card_type: 'text_notice', main_title: { title: 'clicked' } });
  });
}

let sim: WeComSimulator;
const transports: Transport[] = [];

async function webhook(): Promise<Transport> {
  const bot = new WeComBot({ token: TOKEN, encodingAESKey: KEY, media: { protocols: ['http:'] } });
  listen(bot, 'webhook');
  const server = await serveBot(bot);
  const driver = sim.bot({ token: TOKEN, encodingAESKey: KEY });
  return {
    name: 'webhook',
    bot,
    media: (bytes) => ({ url: sim.putMedia(bytes, { encodingAESKey: KEY }) }),
    deliver: async (message) => answerOf((await driver.send(server.url, message)).reply),
    close: async () => {
      await bot.close();
      await server.close();
    },
  };
}

async function websocket(): Promise<Transport> {
  const bot = new WeComBot({
    connection: { mode: 'websocket', botId: BOT, secret: SECRET, url: sim.wsUrl, WebSocket: NodeWebSocket },
    media: { protocols: ['http:'] },
  });
  listen(bot, 'websocket');
  await bot.start();
  return {
    name: 'websocket',
    bot,
    media: (bytes) => {
      const aeskey = randomBytes(32).toString('base64').slice(0, 43);
      return { url: sim.putMedia(bytes, { aesKey: aeskey }), aeskey };
    },
    deliver: async (message, answered = true) => {
      const before = seen.websocket!.length;
      const { reqId } = sim.ws.push(BOT, message as unknown as Record<string, unknown>);
      if (!answered) {
        // No answer is expected: wait for the listeners, then make sure nothing went out.
        await until(() => seen.websocket!.length > before, 5000, 'the listeners');
        await deliverProbe();
        expect(sim.ws.frames({ reqId })).toEqual([]);
        return null;
      }
      const replies = await sim.ws.waitForReply(reqId);
      return answerOf(replies[0]!.body, replies[0]!.cmd);
    },
    close: () => bot.close(),
  };
}

/** A round trip after a callback without an answer: by then its (absent) answer would have gone out. */
async function deliverProbe(): Promise<void> {
  const { reqId } = sim.ws.push(BOT, botText({ content: 'probe' }) as unknown as Record<string, unknown>);
  await sim.ws.waitForReply(reqId);
}

beforeAll(async () => {
  sim = await startWeComSimulator({ bots: [{ botId: BOT, secret: SECRET }] });
  transports.push(await webhook(), await websocket());
});

afterAll(async () => {
  for (const t of transports) await t.close();
  await sim.close();
});

const IMAGE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...randomBytes(200)]);
const FILE = new Uint8Array(randomBytes(1000));

type Case = {
  name: string;
  message: (t: Transport) => BotMessage;
  answer: Omit<Answer, 'cmd'> | null;
  /** The long connection's command for the answer. */
  cmd?: string;
  /** Listener events, in order (`[event, type]`). */
  events: string[][];
};

function withKey(message: BotMessage, field: string, media: { url: string; aeskey?: string }): BotMessage {
  const m = message as Record<string, unknown>;
  return { ...m, [field]: { ...(m[field] as object), ...media } } as BotMessage;
}

const RESPOND = 'aibot_respond_msg';
const CASES: Case[] = [
  {
    name: 'text',
    message: () => botText({ content: 'hello' }),
    answer: { msgtype: 'stream', content: 'text:hello', finish: true },
    cmd: RESPOND,
    events: [
      ['message', 'text'],
      ['callback', 'text'],
    ],
  },
  {
    name: 'text in a group',
    message: () => botText({ content: 'hi all', chatid: 'group-1' }),
    answer: { msgtype: 'stream', content: 'text:hi all', finish: true },
    cmd: RESPOND,
    events: [
      ['message', 'text'],
      ['callback', 'text'],
    ],
  },
  {
    name: 'voice',
    message: () => botVoice({ content: 'spoken words' }),
    answer: { msgtype: 'stream', content: 'voice:spoken words', finish: true },
    cmd: RESPOND,
    events: [
      ['message', 'voice'],
      ['callback', 'voice'],
    ],
  },
  {
    name: 'image (downloaded and decrypted)',
    message: (t) => withKey(botImage({ url: 'x' }), 'image', t.media(IMAGE)),
    answer: { msgtype: 'stream', content: `image: bytes=${IMAGE.length}`, finish: true },
    cmd: RESPOND,
    events: [
      ['message', 'image'],
      ['callback', 'image'],
    ],
  },
  {
    name: 'file (downloaded and decrypted)',
    message: (t) => withKey(botFile({ url: 'x' }), 'file', t.media(FILE)),
    answer: { msgtype: 'stream', content: `file: bytes=${FILE.length}`, finish: true },
    cmd: RESPOND,
    events: [
      ['message', 'file'],
      ['callback', 'file'],
    ],
  },
  {
    name: 'mixed',
    message: () => botMixed({ items: [{ text: 'look' }, { text: 'here' }] }),
    answer: { msgtype: 'stream', content: 'mixed:look\nhere', finish: true },
    cmd: RESPOND,
    events: [
      ['message', 'mixed'],
      ['callback', 'mixed'],
    ],
  },
  {
    name: 'enter_chat → welcome',
    message: () => botEvent('enter_chat'),
    answer: { msgtype: 'text', content: 'welcome!' },
    cmd: 'aibot_respond_welcome_msg',
    events: [
      ['event', 'event.enter_chat'],
      ['callback', 'event.enter_chat'],
    ],
  },
  {
    name: 'template_card_event → card update',
    message: () =>
      botEvent('template_card_event', { card_type: 'text_notice', event_key: 'ok', task_id: 'task-1' }),
    answer: { msgtype: 'update_template_card', content: 'clicked' },
    cmd: 'aibot_respond_update_msg',
    events: [
      ['event', 'event.template_card_event'],
      ['callback', 'event.template_card_event'],
    ],
  },
  {
    name: 'feedback_event (no answer)',
    message: () => botEvent('feedback_event', { id: 'fb-1', type: 1 }),
    answer: null,
    events: [
      ['event', 'event.feedback_event'],
      ['callback', 'event.feedback_event'],
    ],
  },
  {
    name: 'a failing listener → error, and no answer',
    message: () => botText({ content: 'boom' }),
    answer: null,
    events: [
      ['message', 'text'],
      ['callback', 'text'],
      ['error', 'listener failed on purpose'],
    ],
  },
];

describe.each(['webhook', 'websocket'] as const)('%s', (name) => {
  const transport = () => transports.find((t) => t.name === name)!;

  it.each(CASES)('$name', async (c) => {
    const t = transport();
    const log = seen[name]!;
    const from = log.length;
    const answer = await t.deliver(c.message(t), c.answer !== null);
    expect(answer === null ? null : { ...answer, cmd: undefined }).toEqual(
      c.answer === null ? null : { ...c.answer, cmd: undefined },
    );
    if (name === 'websocket' && c.cmd) expect(answer?.cmd).toBe(c.cmd);
    await until(() => log.length >= from + c.events.length, 5000, 'the listener events');
    expect(log.slice(from, from + c.events.length)).toEqual(c.events);
  });

  it('a re-delivered message (same msgid) runs the listeners once and emits duplicate', async () => {
    const t = transport();
    const log = seen[name]!;
    const message = botText({ content: 'once', msgid: `dup-${name}` });
    const first = await t.deliver(message);
    expect(first?.content).toBe('text:once');
    const from = log.length;
    await t.deliver(message, false);
    await until(() => log.slice(from).some(([e]) => e === 'duplicate'), 5000, 'duplicate');
    expect(handled[name]!.filter((text) => text === 'once')).toEqual(['once']);
    expect(log.slice(from).filter(([e]) => e === 'duplicate')).toEqual([['duplicate', 'text']]);
  });
});

describe('allowFrom on both transports', () => {
  it.each(['webhook', 'websocket'] as const)('%s: a sender outside allowFrom is denied', async (name) => {
    const t = transports.find((x) => x.name === name)!;
    const denied: string[] = [];
    expect(t.bot.capabilities.transport).toBe(name);
    // allowFrom is fixed at construction: the shared bots allow everyone, so a second bot restricts.
    const restricted = new WeComBot({
      ...(name === 'webhook'
        ? { token: TOKEN, encodingAESKey: KEY }
        : {
            connection: {
              mode: 'websocket' as const,
              botId: `${BOT}-allow`,
              secret: SECRET,
              url: sim.wsUrl,
              WebSocket: NodeWebSocket,
            },
          }),
      allowFrom: ['lisi'],
    });
    const calls: BotCallback[] = [];
    restricted.on('callback', (m) => void calls.push(m));
    restricted.on('denied', (info) => void denied.push(info.userId));
    if (name === 'webhook') {
      const server = await serveBot(restricted);
      const result = await sim
        .bot({ token: TOKEN, encodingAESKey: KEY })
        .send(server.url, botText({ content: 'x', from: 'mallory' }));
      expect(result.status).toBe(200);
      await server.close();
    } else {
      sim.ws.addBot({ botId: `${BOT}-allow`, secret: SECRET });
      await restricted.start();
      sim.ws.push(
        `${BOT}-allow`,
        botText({ content: 'x', from: 'mallory' }) as unknown as Record<string, unknown>,
      );
      await until(() => denied.length > 0, 5000, 'denied');
    }
    await restricted.close();
    expect(denied).toEqual(['mallory']);
    expect(calls).toEqual([]);
  });
});
