/**
 * The WeCom channel of the reference AI-agent gateway, on @maven/wecom-bot: `/wecom/bot` (GET URL
 * verification, POST callbacks) and `GET /health` on one hardened node:http server. The agent is
 * the echo agent; its answers go out as the reference does (markdown through the message's own
 * response_url) or, with `stream`, as a passive stream that grows and then finishes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BotCallback,
  type MessageContext,
  type UserMessage,
  type WebSocketConstructor,
  WeComBot,
  type WeComBotOptions,
} from '@maven/wecom-bot';
import {
  healthResponse,
  type Logger,
  type Store,
  textResponse,
  toNodeListener,
  writeNodeResponse,
} from '@maven/wecom-core';
import { WebSocket as NodeWebSocket } from 'ws';
import { serverOptions } from '../../shared/http-server.js';
import { echoAnswer, streamPieces, WELCOME } from './agent.js';
import type { AckMode } from './cli.js';
import type { MavenWeComConfig, ScheduledJob } from './config.js';

export const BOT_PATH = '/wecom/bot';
export const HEALTH_PATH = '/health';

export interface GatewayOptions {
  config: MavenWeComConfig;
  /** The server's header timeout (default 10 s; checked every second). */
  headersTimeoutMs?: number;
  /** Undefined: all interfaces. */
  host: string | undefined;
  port: number;
  /** Passive streaming instead of response_url markdown. */
  stream: boolean;
  streamStepMs?: number;
  /** Origin media is downloaded from (protocol allowed, downloads restricted to its host). */
  mediaBase?: URL | undefined;
  ack?: AckMode;
  /** Test hook: listeners hold the callback this long before answering. */
  ackDelayMs?: number;
  /** Default: the bot's bounded in-process MemoryStore. */
  store?: Store | undefined;
  /** A proxy-capable fetch (see proxy.ts). */
  fetch?: typeof fetch | undefined;
  /** Called last at close (e.g. the proxy's connections). */
  onClose?: (() => Promise<void>) | undefined;
  logger: Logger;
}

export interface Gateway {
  readonly bot: WeComBot;
  readonly server: Server;
  /** `http://HOST:PORT/wecom/bot`. */
  readonly url: string;
  /**
   * What the scheduler calls for proactive delivery (cron jobs with `deliver: true`). Webhook mode
   * is reactive-only: a WARN and false, as the reference promises. Websocket mode sends the text as
   * markdown over the long connection (`bot.send`) and resolves true once WeCom accepted it.
   */
  deliverProactive(job: {
    chatId: string;
    text: string;
    job?: string;
    chatType?: 'single' | 'group' | undefined;
  }): Promise<boolean>;
  /** Stops taking callbacks, drains in-flight replies, then closes the server. */
  close(): Promise<void>;
}

const USER_TYPES = new Set(['text', 'voice', 'mixed', 'image', 'file', 'video']);

function isUserMessage(message: BotCallback): message is UserMessage {
  return USER_TYPES.has(message.type);
}

/**
 * `http://[::1]:9886/wecom/bot` for IPv6 literals. Bound to all interfaces (no host, "::" or
 * "0.0.0.0"), the URL names the loopback address: one that can be connected to from this machine.
 */
export function formatUrl(host: string | undefined, port: number, path: string): string {
  const shown = host === undefined || host === '::' || host === '0.0.0.0' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}${path}`;
}

/** The runtime's WebSocket (Node 22+), else the `ws` package's (Node 20). */
const WebSocketImpl = ((globalThis as { WebSocket?: unknown }).WebSocket ??
  NodeWebSocket) as unknown as WebSocketConstructor;

export function botOptions(o: GatewayOptions): WeComBotOptions {
  const { config } = o;
  const ws = config.connection === 'websocket';
  return {
    ...(ws
      ? {
          connection: {
            mode: 'websocket' as const,
            botId: config.botId!,
            secret: config.secret!,
            ...(config.wsUrl ? { url: config.wsUrl } : {}),
            WebSocket: WebSocketImpl,
          },
          ...(config.token ? { token: config.token, encodingAESKey: config.encodingAESKey } : {}),
        }
      : { token: config.token, encodingAESKey: config.encodingAESKey, reactiveOnly: true as const }),
    ...(config.receiveId === undefined ? {} : { receiveId: config.receiveId }),
    ...(config.aibotId === undefined ? {} : { aibotId: config.aibotId }),
    path: BOT_PATH,
    // The reference reads an empty allowFrom as everyone; the SDK reads [] as nobody.
    ...(config.allowFrom.length === 0 ? {} : { allowFrom: config.allowFrom }),
    ack: o.ack ?? 'empty',
    logger: o.logger,
    ...(o.store ? { store: o.store } : {}),
    ...(o.fetch ? { http: { fetch: o.fetch } } : {}),
    ...(o.mediaBase ? { media: { protocols: [o.mediaBase.protocol], hosts: [o.mediaBase.hostname] } } : {}),
  };
}

export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const log = o.logger;
  const bot = new WeComBot(botOptions(o));
  const stepMs = o.streamStepMs ?? 150;

  bot.on('reply.delivered', (r) => {
    log.info('reply.delivered', {
      msgid: r.msgId,
      channel: r.channel,
      kind: r.kind,
      ...(r.streamId ? { streamId: r.streamId, finish: r.finish } : {}),
    });
  });
  bot.on('reply.failed', (r) => {
    log.warn('reply.failed', { msgid: r.msgId, channel: r.channel, reason: r.reason, code: r.error.code });
  });
  bot.on('error', (error, info) => log.error('bot.error', { ...info, error }));

  /** Reference behaviour: the answer is published later and goes out through this message's response_url. */
  async function answerLater(message: UserMessage, ctx: MessageContext<BotCallback>): Promise<void> {
    const answer = await echoAnswer(message, (ref) => ctx.downloadMedia(ref));
    if (answer === undefined) return;
    try {
      await bot.reply({ msgId: message.msgId }, answer);
    } catch (error) {
      // No response_url is remembered for this message: reported as reply.failed already.
      log.debug('reply not sent', { msgid: message.msgId, error });
    }
  }

  /** `--stream`: the stream is already on its way passively; it grows piece by piece, then finishes. */
  async function answerStreamed(message: UserMessage, ctx: MessageContext<BotCallback>): Promise<void> {
    const writer = ctx.stream();
    const answer = (await echoAnswer(message, (ref) => ctx.downloadMedia(ref))) ?? '(nothing to echo)';
    // All but the last piece grow the text; finish() shows the whole answer in the final frame.
    for (const piece of streamPieces(answer).slice(0, -1)) {
      await writer.append(piece);
      await sleep(stepMs);
    }
    await writer.finish(answer);
  }

  bot.on('callback', async (message, ctx) => {
    log.info('inbound', {
      msgid: message.msgId,
      type: message.type,
      from: message.userId,
      chat: message.chatId,
    });
    if (o.ackDelayMs) await sleep(o.ackDelayMs);
    if (message.type === 'event.enter_chat') {
      await ctx.welcome(WELCOME);
      return;
    }
    if (!isUserMessage(message)) return;
    if (o.stream) {
      // Started before anything slow, so the first frame goes out in this callback's response.
      ctx.stream();
      ctx.waitUntil(answerStreamed(message, ctx));
    } else {
      ctx.waitUntil(answerLater(message, ctx));
    }
  });

  const listener = toNodeListener(bot, {
    next: (req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (path === HEALTH_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
        writeNodeResponse(res, healthResponse());
      } else {
        writeNodeResponse(res, textResponse(404, 'not_found'));
      }
    },
  });
  // Timeouts on headers and whole requests (slowloris), short keep-alive; the bot caps bodies at 1 MiB.
  const server = createServer(
    serverOptions(o.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: o.headersTimeoutMs }),
    listener,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ ...(o.host === undefined ? {} : { host: o.host }), port: o.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = formatUrl(o.host, address.port, BOT_PATH);

  async function deliverProactive(job: Parameters<Gateway['deliverProactive']>[0]): Promise<boolean> {
    if (o.config.connection !== 'websocket')
      return bot.skipProactive({ chatId: job.chatId, ...(job.job ? { job: job.job } : {}) });
    const outcome = await bot
      .send(
        job.chatId,
        { msgtype: 'markdown', markdown: { content: job.text } },
        job.chatType ? { chatType: job.chatType } : {},
      )
      .catch((error: unknown) => ({ status: 'failed' as const, error }));
    if (outcome.status === 'sent') log.info('proactive.sent', { job: job.job, chatId: job.chatId });
    else log.warn('proactive.failed', { job: job.job, chatId: job.chatId, status: outcome.status });
    return outcome.status === 'sent';
  }

  const timers = new Set<ReturnType<typeof setTimeout>>();
  function schedule(job: ScheduledJob): void {
    const run = (delayMs: number) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (job.deliver) void deliverProactive(job);
        else log.info('scheduled job ran (deliver: false)', { job: job.job });
        if (job.everyMs !== undefined) run(job.everyMs);
      }, delayMs);
      timers.add(timer);
    };
    run(job.afterMs);
  }

  if (o.config.connection === 'websocket') {
    try {
      await bot.start();
    } catch (error) {
      server.close();
      throw error;
    }
  }
  for (const job of o.config.schedule) schedule(job);

  let closing: Promise<void> | undefined;
  return {
    bot,
    server,
    url,
    deliverProactive,
    close() {
      closing ??= (async () => {
        for (const timer of timers) clearTimeout(timer);
        // New callbacks now get 503 (WeCom retries them elsewhere); in-flight replies finish first.
        await bot.close({ timeoutMs: 10_000 });
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server.closeAllConnections(), 5_000);
          force.unref();
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        });
        await o.store?.close?.();
        await o.onClose?.();
      })();
      return closing;
    },
  };
}
