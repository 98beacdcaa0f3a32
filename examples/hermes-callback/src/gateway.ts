/**
 * The self-built-app callback adapter of the reference agent, on @maven/wecom-callback: one
 * endpoint for every configured app (plus `/wecom/callback/<app name>` per app), `GET /health`,
 * and an echo agent whose answers go out through `message/send` of the app that received the
 * message (that app's access token and agentid), after the callback was acknowledged.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AllowPolicy,
  type AppConfig,
  CallbackRouter,
  type CallbackRouterOptions,
} from '@maven/wecom-callback';
import {
  healthResponse,
  isWeComError,
  type Logger,
  type Store,
  TaskTracker,
  textResponse,
  toNodeListener,
  WeComApiError,
  writeNodeResponse,
} from '@maven/wecom-core';
import { serverOptions } from '../../shared/http-server.js';

export const HEALTH_PATH = '/health';
export const PLATFORM = 'wecom_callback';

export interface GatewayOptions {
  apps: AppConfig[];
  /** The server's header timeout (default 10 s; checked every second). */
  headersTimeoutMs?: number;
  host: string;
  /** Listen on 0.0.0.0 when `host` is '::' and this machine has no IPv6. */
  ipv4Fallback?: boolean;
  port: number;
  path: string;
  allow: AllowPolicy;
  /** WeCom API base (a simulator, a private deployment). */
  apiBase?: string | undefined;
  store?: Store | undefined;
  /** Test hook: listeners hold the callback this long before it is answered. */
  ackDelayMs?: number;
  logger: Logger;
}

export interface Gateway {
  readonly router: CallbackRouter;
  readonly server: Server;
  /** `http://HOST:PORT/wecom/callback`. */
  readonly url: string;
  readonly host: string;
  close(): Promise<void>;
}

export function formatUrl(host: string, port: number, path: string): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
}

export function routerOptions(o: GatewayOptions): CallbackRouterOptions {
  return {
    apps: o.apps,
    path: o.path,
    allowFrom: o.allow,
    logger: o.logger,
    ...(o.store ? { store: o.store } : {}),
    ...(o.apiBase ? { http: { baseUrl: o.apiBase } } : {}),
  };
}

/** A description of the allow policy for the start-up log. */
export function describeAllow(allow: AllowPolicy): string {
  if (allow.allowAll || allow.users?.includes('*')) return 'everyone';
  const n = allow.users?.length ?? 0;
  return n === 0 ? 'nobody' : `${n} user${n === 1 ? '' : 's'}`;
}

async function listen(server: Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const log = o.logger;
  const router = new CallbackRouter(routerOptions(o));
  // Active replies run after the callback was answered; close() waits for them.
  const replies = new TaskTracker();

  async function send(
    chatId: string,
    app: string,
    userId: string,
    msgId: string,
    text: string,
  ): Promise<void> {
    try {
      const result = await router.send(chatId, text);
      log.info('reply.sent', { app, user: userId, msgId, msgids: result.msgids });
    } catch (error) {
      const errcode = error instanceof WeComApiError ? error.errcode : undefined;
      const code = isWeComError(error) ? error.code : 'error';
      log.warn('reply.failed', {
        app,
        user: userId,
        msgId,
        code,
        ...(errcode === undefined ? {} : { errcode }),
      });
    }
  }

  router.on('message', async (message, ctx) => {
    log.info('inbound', { app: ctx.app.name, user: ctx.userId, msgId: message.msgId, type: message.type });
    if (o.ackDelayMs) await sleep(o.ackDelayMs);
    // The reference answered text only and ignored the rest silently; other types get a hint.
    const text =
      message.type === 'text'
        ? `echo: ${message.content}`
        : `(${message.type} messages are not supported by this echo gateway; send text)`;
    replies.run(send(ctx.chatId, ctx.app.name, ctx.userId, message.msgId, text));
  });
  router.on('denied', (info) => log.info('denied', { app: info.app, user: info.userId }));
  router.on('duplicate', (info) => log.info('duplicate', { app: info.app, dedupKey: info.key }));
  router.on('error', (error, info) => log.error('handler.error', { app: info.app, error }));

  const listener = toNodeListener(router, {
    next: (req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (path === HEALTH_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
        writeNodeResponse(res, healthResponse({ platform: PLATFORM }));
      } else {
        writeNodeResponse(res, textResponse(404, 'not_found'));
      }
    },
  });
  const server = createServer(
    serverOptions(o.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: o.headersTimeoutMs }),
    listener,
  );
  let host = o.host;
  try {
    await listen(server, host, o.port);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // '::' covers IPv4 too (dual-stack); a host without IPv6 falls back to all IPv4 interfaces.
    if (!(o.ipv4Fallback && host === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')))
      throw error;
    log.warn('IPv6 is not available here; listening on 0.0.0.0 (IPv4 only)', { code });
    host = '0.0.0.0';
    await listen(server, host, o.port);
  }
  const { port } = server.address() as AddressInfo;

  // Non-fatal warm-up, as the reference does: a wrong secret shows up in the log at start.
  void router.warmUp().then((results) => {
    for (const r of results) {
      if (r.ok) log.info('access token ready', { app: r.app });
      else log.warn('access token warm-up failed', { app: r.app, error: r.error });
    }
  });

  let closing: Promise<void> | undefined;
  return {
    router,
    server,
    host,
    url: formatUrl(host, port, o.path),
    close() {
      closing ??= (async () => {
        // New callbacks get 503 (WeCom retries); replies already under way are finished first.
        await router.close({ timeoutMs: 10_000 });
        const left = await replies.drain(10_000);
        if (left > 0) log.warn('stopped with replies still in flight', { left });
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
      })();
      return closing;
    },
  };
}
