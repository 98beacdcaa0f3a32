/**
 * The app under test on every runtime: a `WeComBot` and a `CallbackRouter` served through core's
 * `toFetchHandler`, and another pair mounted in a Hono app through `@maven/wecom-hono`, behind a
 * single fetch function.
 *
 * What the bots do, so the driver can check it over HTTP:
 * - a text message starts a passive stream with `streamContent(text, false)` and leaves it open;
 * - `finish:<streamId>` finishes that stream with `streamContent(text, true)` (then the next
 *   refresh answers `finish: true`); the callback itself gets the plain acknowledgement;
 * - `active:…` waits until the passive slot closed (the deadline) and replies with markdown,
 *   which therefore goes out through the message's `response_url`.
 * The router answers a text message with a passive encrypted XML reply, `appReplyContent(text)`.
 */
import { type StreamWriter, WeComBot } from '../../packages/bot/src/index.ts';
import { type CallbackRouter, createCallbackRouter } from '../../packages/callback/src/index.ts';
import { silentLogger, toFetchHandler, type WeComHandler } from '../../packages/core/src/index.ts';
import {
  ACTIVE_PREFIX,
  APP,
  APP_FETCH_PATH,
  APP_HONO_PATH,
  activeContent,
  appReplyContent,
  BOT_ID,
  BOT_KEY,
  BOT_TOKEN,
  FETCH_PATH,
  FINISH_PREFIX,
  HONO_PATH,
  streamContent,
} from './fixture.ts';
import { createHonoApp } from './hono.mjs';

type FetchFn = (request: Request, env?: unknown, ctx?: unknown) => Promise<Response>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Builds the bot answering on `path`. */
export function createMatrixBot(path: string): WeComBot {
  const bot = new WeComBot({
    token: BOT_TOKEN,
    encodingAESKey: BOT_KEY,
    receiveId: '',
    aibotId: BOT_ID,
    path,
    // Short, so the active-reply check does not wait the default 4 s; streams choose at once anyway.
    deadlineMs: 150,
    logger: silentLogger,
  });
  const open = new Map<string, { writer: StreamWriter; text: string }>();

  bot.on('text', async (message, ctx) => {
    const { text } = message;
    if (text.startsWith(FINISH_PREFIX)) {
      const id = text.slice(FINISH_PREFIX.length);
      const entry = open.get(id);
      if (!entry) throw new Error(`no open stream ${id}`);
      open.delete(id);
      const result = await entry.writer.finish(streamContent(entry.text, true));
      if (!result.ok) throw result.error;
      return;
    }
    if (text.startsWith(ACTIVE_PREFIX)) {
      // Bounded wait for the deadline to close the passive slot; the reply then takes response_url.
      for (let i = 0; i < 500 && ctx.passiveOpen; i++) await sleep(10);
      const result = await ctx.reply(activeContent(text));
      if (!result.ok) throw result.error;
      return;
    }
    const writer = ctx.stream();
    open.set(writer.id, { writer, text });
    await writer.replace(streamContent(text, false));
  });
  return bot;
}

/** Builds the self-built app router answering on `path`. */
export function createMatrixRouter(path: string): CallbackRouter {
  const router = createCallbackRouter({ app: { ...APP }, path, logger: silentLogger });
  router.on('text', async (message, ctx) => {
    await ctx.reply(appReplyContent(message.content));
  });
  return router;
}

export interface MatrixApp {
  fetch: FetchFn;
  /** The handlers, for runtimes that also serve them another way (Node: `toNodeListener`). */
  fetchBot: WeComHandler;
  fetchRouter: WeComHandler;
}

export function createMatrixApp(): MatrixApp {
  const fetchBot = createMatrixBot(FETCH_PATH);
  const fetchRouter = createMatrixRouter(APP_FETCH_PATH);
  const botFetch = toFetchHandler(fetchBot);
  const routerFetch = toFetchHandler(fetchRouter);
  const hono = createHonoApp([createMatrixBot(HONO_PATH), createMatrixRouter(APP_HONO_PATH)]);
  return {
    fetchBot,
    fetchRouter,
    async fetch(request, env, ctx) {
      const { pathname } = new URL(request.url);
      if (pathname.startsWith('/hono/')) return hono.fetch(request, env, ctx);
      if (fetchRouter.matches(pathname)) return routerFetch(request, env, ctx);
      return botFetch(request, env, ctx);
    },
  };
}
