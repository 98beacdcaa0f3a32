/**
 * The three inbound hot paths whose Redis traffic is counted (issue 20), shared by the round-trip
 * test (hot-paths.test.ts) and the benchmark (bench/redis.bench.ts, bench/inbound-server.ts):
 *
 * - `bot-passive`: an AI-bot text callback answered passively (`ctx.reply` in the listener);
 * - `bot-response-url`: the same answered through its response_url, once the passive slot is
 *   closed (`ctx.reply` from `ctx.waitUntil` after the callback was answered);
 * - `app-message-send`: a self-built app's text callback through the CallbackRouter, answered
 *   through message/send once the callback was answered (`ctx.reply` after the passive slot).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WeComBot } from '@maven/wecom-bot';
import { CallbackRouter } from '@maven/wecom-callback';
import { type Logger, type Store, silentLogger, toNodeListener, type WeComHandler } from '@maven/wecom-core';
import {
  appText,
  botText,
  buildAppCallback,
  buildBotCallback,
  type WeComSimulator,
} from '@maven/wecom-testing';
import { CommandCounter, countingClient, tripsOf } from './counting-client.ts';

export const HOT_PATHS = ['bot-passive', 'bot-response-url', 'app-message-send'] as const;
export type HotPathName = (typeof HOT_PATHS)[number];

export const HOT_PATH_LABELS: Record<HotPathName, string> = {
  'bot-passive': 'bot text, passive reply',
  'bot-response-url': 'bot text, reply through response_url',
  'app-message-send': 'app text, reply through message/send',
};

export const HOT_BOT = {
  token: 'HotPathBotToken',
  encodingAESKey: 'kXnZn8rs6oNpBvXaSkHuCyna4LB2ulBk4zllS7r3C3D',
} as const;

export const HOT_APP = {
  name: 'hot-app',
  corpId: 'wwhotpath0001',
  agentId: 1_000_100,
  token: 'HotPathAppToken',
  encodingAESKey: 'mZpBp0tu8qPrDxZcUmJwEapc6ND4wnDm6BnnU9t5E5F',
  corpSecret: 'hot-path-corp-secret-0123456789abcdef',
} as const;

export interface HotHandlerOptions {
  store: Store;
  /** The path the handler answers (default `/wecom/bot` or `/wecom/callback`). */
  path?: string;
  /** The WeCom API base for message/send (app path): a simulator on loopback. */
  apiBase?: string;
  logger?: Logger;
  /** Called for every text message the listener receives (the benchmark counts callbacks). */
  onText?: () => void;
}

/**
 * Replies once the callback was answered (the passive slot is closed), so the reply goes actively:
 * a short wait, repeated while the slot is still open (a 1 ms timer, not a busy loop: under load
 * many callbacks wait at once).
 */
async function afterTheAnswer(isOpen: () => boolean, reply: () => Promise<unknown>): Promise<void> {
  do await new Promise((resolve) => setTimeout(resolve, 1));
  while (isOpen());
  await reply();
}

/** The bot or router of one hot path, with its text listener. */
export function hotPathHandler(name: HotPathName, options: HotHandlerOptions): WeComHandler {
  const logger = options.logger ?? silentLogger;
  const onText = options.onText ?? (() => {});
  if (name === 'app-message-send') {
    const router = new CallbackRouter({
      apps: [HOT_APP],
      path: options.path ?? '/wecom/callback',
      store: options.store,
      // The benchmark signs its requests before the runs, some minutes before the last is sent.
      timestampWindow: false,
      logger,
      ...(options.apiBase ? { http: { baseUrl: options.apiBase } } : {}),
    });
    router.on('text', (message, ctx) => {
      onText();
      // Not awaited: the callback is answered (empty) when the listener returns.
      afterTheAnswer(
        () => ctx.passiveOpen,
        () => ctx.reply(`echo ${message.msgId}`),
      ).catch(() => {});
    });
    return router;
  }
  const bot = new WeComBot({
    ...HOT_BOT,
    receiveId: '',
    path: options.path ?? '/wecom/bot',
    store: options.store,
    timestampWindow: false,
    logger,
  });
  if (name === 'bot-passive') {
    bot.on('text', (message, ctx) => {
      onText();
      return ctx.reply(`echo ${message.msgId}`);
    });
  } else {
    bot.on('text', (message, ctx) => {
      onText();
      ctx.waitUntil(
        afterTheAnswer(
          () => ctx.passiveOpen,
          () => ctx.reply(`echo ${message.msgId}`),
        ),
      );
    });
  }
  return bot;
}

/** One signed callback of a hot path: `search` (the query) and the body. */
export function hotPathCallback(
  name: HotPathName,
  i: number,
  options: { tag: string; responseUrl?: string; from?: string },
): { search: string; body: string } {
  // One sender by default: its chat index exists after the first callback (the steady state).
  const from = options.from ?? 'hot-user';
  if (name === 'app-message-send') {
    const message = appText({
      from,
      corpId: HOT_APP.corpId,
      agentId: HOT_APP.agentId,
      content: `hello ${i}`,
      msgId: BigInt(`7${String(i).padStart(18, '0')}`),
    });
    const { token, encodingAESKey, corpId, agentId } = HOT_APP;
    return buildAppCallback({ token, encodingAESKey, corpId, agentId, message });
  }
  const message = botText({
    content: `hello ${i}`,
    msgid: `hot-${options.tag}-${i}`,
    from,
    ...(options.responseUrl ? { responseUrl: options.responseUrl } : {}),
  });
  return buildBotCallback({ ...HOT_BOT, receiveId: '', message });
}

export interface HotPath {
  readonly name: HotPathName;
  readonly url: string;
  /**
   * Delivers callback `i` over real HTTP and resolves once it was answered and its reply was
   * delivered (the `reply.delivered` event); rejects on `reply.failed` or a non-200 answer.
   */
  send(i: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A hot path served on node:http on loopback, its replies going to `sim` (response_url and
 * message/send). Message ids are made unique by `tag`.
 */
export async function startHotPath(
  name: HotPathName,
  options: { store: Store; sim: WeComSimulator; tag: string },
): Promise<HotPath> {
  const handler = hotPathHandler(name, { store: options.store, apiBase: options.sim.url });
  const waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  const emitter = handler as unknown as { on(event: string, listener: (info: unknown) => void): void };
  emitter.on('reply.delivered', () => waiting.shift()?.resolve());
  emitter.on('reply.failed', (info) => waiting.shift()?.reject(new Error(`reply failed: ${String(info)}`)));
  const server: Server = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const path = name === 'app-message-send' ? '/wecom/callback' : '/wecom/bot';
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return {
    name,
    url,
    async send(i) {
      const signed = hotPathCallback(name, i, {
        tag: options.tag,
        ...(name === 'app-message-send' ? {} : { responseUrl: options.sim.createResponseUrl() }),
      });
      const delivered = new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
      const res = await fetch(`${url}${signed.search}`, {
        method: 'POST',
        headers: { 'content-type': name === 'app-message-send' ? 'text/xml' : 'application/json' },
        body: signed.body,
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${name}: callback answered ${res.status}: ${text}`);
      if (name !== 'bot-passive' && text !== '') throw new Error(`${name}: expected an empty answer`);
      if (name === 'bot-passive' && text === '') throw new Error(`${name}: expected a passive reply`);
      await delivered;
    },
    async close() {
      await handler.close({ timeoutMs: 2000 });
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export interface HotPathCount {
  name: HotPathName;
  /** Callbacks counted (after one warm-up callback, which loads the scripts and the chat index). */
  callbacks: number;
  /** Redis commands of each counted callback, in order. */
  commands: number[];
  /**
   * Round trips of each counted callback: 0 → 1 transitions of the commands in flight. Background
   * writes that are independent of each other (the chat index, the response_url claim) share one
   * when they happen to overlap, so a callback can show fewer than the path's worst case.
   */
  trips: number[];
  /** The round trips of the counted callback with the most, each with its commands in the order issued. */
  sequence: string[][];
  /** Commands issued after the last callback had settled, up to the handler's close(): 0 when all were counted. */
  afterSettled: number;
}

/**
 * Counts the Redis traffic of one hot path with a RedisStore on `client` (ioredis) under a fresh
 * `prefix`: callbacks sent one at a time, each run to completion (answered, its reply delivered,
 * then no Redis command in flight or started for a while), then the handler closed.
 * The caller removes the keys under `prefix`.
 */
export async function countHotPath(
  name: HotPathName,
  options: {
    client: object;
    prefix: string;
    sim: WeComSimulator;
    callbacks: number;
    createStore: (client: object, prefix: string) => Store;
  },
): Promise<HotPathCount> {
  const counter = new CommandCounter(options.prefix);
  const store = options.createStore(countingClient(options.client, counter), options.prefix);
  const tag = Math.random().toString(36).slice(2, 8);
  const path = await startHotPath(name, { store, sim: options.sim, tag });
  const commands: number[] = [];
  const trips: number[] = [];
  let sequence: string[][] = [];
  let afterSettled = 0;
  try {
    await path.send(0);
    await counter.settle();
    for (let i = 1; i <= options.callbacks; i++) {
      counter.record = [];
      counter.reset();
      await path.send(i);
      await counter.settle();
      commands.push(counter.commands);
      trips.push(counter.trips);
      // The callback with the most round trips shows them best (none overlapped by chance).
      if (counter.trips > Math.max(0, ...trips.slice(0, -1)))
        sequence = tripsOf(counter.record).map((trip) => trip.map(readable(tag, i)));
    }
    const settled = counter.commands;
    await path.close();
    afterSettled = counter.commands - settled;
  } catch (error) {
    await path.close().catch(() => {});
    throw error;
  }
  return { name, callbacks: options.callbacks, commands, trips, sequence, afterSettled };
}

/** A command of the log with the per-callback parts of its key named instead of spelled out. */
function readable(tag: string, i: number): (command: string) => string {
  return (command) =>
    command
      .replace(`hot-${tag}-${i}`, '<msgid>')
      .replace(/:msg:7\d{18}\b/, ':msg:<msgid>')
      .replace(/ bot:[0-9a-f]{16}:/, ' bot:<bot>:')
      .replace(/:url:[0-9a-f]{32}$/, ':url:<response_url digest>');
}
