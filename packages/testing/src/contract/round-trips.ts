/**
 * Encrypted round trips with the real `WeComBot` and `CallbackRouter` behind an adapter, and the
 * testing package's simulated WeCom on the other side (response_url, gettoken, message/send). The
 * classes are passed in by the caller: this package does not depend on the bot or the router.
 */
import type { WeComHandler } from '@maven/wecom-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appText,
  botText,
  buildAppCallback,
  buildAppVerification,
  buildBotCallback,
  buildBotVerification,
  decryptAppReply,
  decryptBotReply,
  startWeComSimulator,
  type WeComSimulator,
} from '../index.js';
import { type Answer, type Running, request } from './servers.js';

// biome-ignore lint/suspicious/noExplicitAny: listeners get the SDK's typed messages; the contract reads a few fields
type Listener = (...args: any[]) => unknown;

/** What the contract uses of a `WeComBot` / `CallbackRouter` (structurally: no dependency on them). */
export interface ContractEndpoint extends WeComHandler {
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
}

export interface ContractBot extends ContractEndpoint {
  reply(target: { msgId: string }, markdown: string): Promise<unknown>;
}

/** The SDK's classes, as the adapter's test imports them: `{ WeComBot, CallbackRouter }`. */
export interface ContractSdk {
  /** Typed loosely so the SDK's own, precise class types fit; used as `ContractBot` inside. */
  WeComBot: new (
    options: never,
  ) => unknown;
  CallbackRouter: new (options: never) => unknown;
}

export const BOT = {
  token: 'adapter-bot-token',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
};
export const APP = {
  name: 'helpdesk',
  corpId: 'ww-adapter-corp',
  corpSecret: 'adapter-corp-secret-0123456789',
  agentId: 1000002,
  token: 'adapter-app-token',
  encodingAESKey: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
};
/** What the request builders and reply decoders take of the app. */
export const APP_KEYS = { token: APP.token, encodingAESKey: APP.encodingAESKey, corpId: APP.corpId };
/** Short, so the slow-handler tests are quick; the listeners below never finish inside it on purpose. */
export const DEADLINE_MS = 250;

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A deferred that the test opens: listeners wait on it without any sleeping. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export function createBot(
  sdk: ContractSdk,
  options: { path?: string; maxBodyBytes?: number } = {},
): ContractBot {
  const WeComBot = sdk.WeComBot as unknown as new (options: object) => ContractBot;
  return new WeComBot({
    ...BOT,
    path: options.path ?? '/wecom/bot',
    deadlineMs: DEADLINE_MS,
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    logger: silent,
    http: { timeoutMs: 5000 },
  });
}

/** `apiUrl`: where message/send goes (the simulator); unused when only passive replies are made. */
export function createRouter(
  sdk: ContractSdk,
  options: { path?: string; apiUrl?: string } = {},
): ContractEndpoint {
  const CallbackRouter = sdk.CallbackRouter as unknown as new (options: object) => ContractEndpoint;
  return new CallbackRouter({
    app: APP,
    path: options.path ?? '/wecom/callback',
    deadlineMs: DEADLINE_MS,
    logger: silent,
    http: { baseUrl: options.apiUrl ?? 'http://127.0.0.1:9', timeoutMs: 5000 },
  });
}

export function botCallback(message: object) {
  return buildBotCallback({ ...BOT, message });
}

export function appCallback(content: string, from = 'lisi') {
  return buildAppCallback({
    ...APP_KEYS,
    agentId: APP.agentId,
    message: appText({ from, corpId: APP.corpId, agentId: APP.agentId, content }),
  });
}

/** POSTs a built callback as WeCom does: its body, `Content-Type` as given (or none). */
export function postCallback(
  url: string,
  callback: { search: string; body: string },
  contentType?: string,
): Promise<Answer> {
  return request(`${url}${callback.search}`, {
    method: 'POST',
    ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
    body: new TextEncoder().encode(callback.body),
  });
}

export interface RoundTripTarget {
  name: string;
  /** As `AdapterUnderTest.start`: each handler mounted the framework's usual way, in order. */
  start(handlers: WeComHandler[]): Promise<Running>;
  sdk: ContractSdk;
}

export function roundTrips(target: RoundTripTarget): void {
  describe(`${target.name}: encrypted round trips with WeComBot and CallbackRouter`, () => {
    let sim: WeComSimulator;
    let bot: ContractBot;
    let router: ContractEndpoint;
    let server: Running;
    const botUrl = () => `${server.base}/wecom/bot`;
    const appUrl = () => `${server.base}/wecom/callback`;
    const slowBot = gate();
    const slowApp = gate();
    let botMessages = 0;

    beforeAll(async () => {
      sim = await startWeComSimulator({
        apps: [{ name: APP.name, corpId: APP.corpId, corpSecret: APP.corpSecret, agentId: APP.agentId }],
      });
      bot = createBot(target.sdk, { maxBodyBytes: 4096 });
      router = createRouter(target.sdk, { apiUrl: sim.url });
      bot.on('text', async (message, ctx) => {
        botMessages++;
        const content = message.text;
        if (content === 'stream please') await ctx.stream().finish('streamed answer');
        if (content === 'slow') {
          await slowBot.promise; // opened by the test only once the ack has arrived
          await ctx.reply('late answer');
        }
        // 'later': no reply now; the test answers through bot.reply() afterwards.
      });
      router.on('text', async (message, ctx) => {
        if (message.content === 'passive please') await ctx.reply('passive answer');
        if (message.content === 'slow') {
          await slowApp.promise;
          await ctx.reply('active answer');
        }
      });
      server = await target.start([bot, router]);
    });
    afterAll(async () => {
      slowBot.open();
      slowApp.open();
      await server?.close();
      await bot?.close({ timeoutMs: 1000 });
      await router?.close({ timeoutMs: 1000 });
      await sim?.close();
    });

    it('bot URL verification answers the decrypted echostr', async () => {
      const v = buildBotVerification(BOT);
      const res = await request(`${botUrl()}${v.search}`);
      expect(res).toMatchObject({ status: 200, text: v.echo });
    });

    it('callback-router URL verification answers the decrypted echostr', async () => {
      const v = buildAppVerification(APP_KEYS);
      const res = await request(`${appUrl()}${v.search}`);
      expect(res).toMatchObject({ status: 200, text: v.echo });
    });

    it('a tampered verification is refused (the signature covers what the adapter passed)', async () => {
      const v = buildBotVerification(BOT);
      const res = await request(`${botUrl()}${v.search.replace('nonce=', 'nonce=1')}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.text).not.toBe(v.echo);
    });

    it.each(['application/json', 'text/plain', undefined])(
      'bot text message answered by a passive stream (Content-Type %s)',
      async (type) => {
        const cb = botCallback(botText({ content: 'stream please', responseUrl: sim.createResponseUrl() }));
        const res = await postCallback(botUrl(), cb, type);
        expect(res.status).toBe(200);
        const reply = decryptBotReply(res.text, { ...BOT, expectNonce: cb.nonce });
        expect(reply).toMatchObject({
          msgtype: 'stream',
          stream: { content: 'streamed answer', finish: true },
        });
      },
    );

    it('bot text message answered later through its response_url', async () => {
      const responseUrl = sim.createResponseUrl();
      const message = botText({ content: 'later', responseUrl });
      const res = await postCallback(botUrl(), botCallback(message), 'application/json');
      expect(res).toMatchObject({ status: 200, text: '' }); // the acknowledgement
      const result = await bot.reply({ msgId: message.msgid }, 'answer via response_url');
      expect(result).toMatchObject({ ok: true, channel: 'response_url' });
      const received = await sim.waitForResponse(responseUrl);
      expect(received.body).toMatchObject({
        msgtype: 'markdown',
        markdown: { content: 'answer via response_url' },
      });
    });

    it('a slow bot listener: the ack comes inside the deadline, the reply then goes out actively', async () => {
      const responseUrl = sim.createResponseUrl();
      const delivered = new Promise((resolve) => bot.once('reply.delivered', resolve));
      const res = await postCallback(
        botUrl(),
        botCallback(botText({ content: 'slow', responseUrl })),
        'application/json',
      );
      // The listener is still waiting on the gate: this answer can only be the deadline's ack.
      expect(res).toMatchObject({ status: 200, text: '' });
      expect(sim.responses(responseUrl)).toHaveLength(0);
      slowBot.open();
      const received = await sim.waitForResponse(responseUrl);
      expect(received.body).toMatchObject({ msgtype: 'markdown', markdown: { content: 'late answer' } });
      expect(await delivered).toMatchObject({ ok: true, channel: 'response_url', kind: 'markdown' });
    });

    it('an oversize callback gets 413 before any decryption, and reaches no listener', async () => {
      const before = botMessages;
      const cb = botCallback(botText({ content: 'x'.repeat(8192), responseUrl: sim.createResponseUrl() }));
      const res = await postCallback(botUrl(), cb, 'application/json');
      expect(res).toMatchObject({ status: 413, text: 'body_too_large' });
      expect(botMessages).toBe(before);
      // The same callback under the cap is served.
      const small = botCallback(botText({ content: 'stream please', responseUrl: sim.createResponseUrl() }));
      expect((await postCallback(botUrl(), small, 'application/json')).status).toBe(200);
      expect(botMessages).toBe(before + 1);
    });

    it.each(['text/xml', 'application/json', undefined])(
      'callback text message answered passively with encrypted XML (Content-Type %s)',
      async (type) => {
        const cb = appCallback('passive please');
        const res = await postCallback(appUrl(), cb, type);
        expect(res.status).toBe(200);
        const reply = decryptAppReply(res.text, APP_KEYS);
        expect(reply?.message).toMatchObject({
          MsgType: 'text',
          Content: 'passive answer',
          ToUserName: 'lisi',
          FromUserName: APP.corpId,
        });
      },
    );

    it('a slow callback handler: the ack comes inside the deadline, the reply goes out via message/send', async () => {
      const before = sim.messages().length;
      const delivered = new Promise((resolve) => router.once('reply.delivered', resolve));
      const res = await postCallback(appUrl(), appCallback('slow', 'wangwu'), 'text/xml');
      expect(res.status).toBe(200);
      expect(decryptAppReply(res.text, APP_KEYS)).toBeNull(); // an acknowledgement, no reply
      expect(sim.messages()).toHaveLength(before);
      slowApp.open();
      expect(await delivered).toMatchObject({ channel: 'api', app: APP.name });
      const sent = sim.messages().slice(before);
      expect(sent).toHaveLength(1);
      expect(sent[0]?.body).toMatchObject({
        touser: 'wangwu',
        msgtype: 'text',
        agentid: APP.agentId,
        text: { content: 'active answer' },
      });
    });
  });
}
