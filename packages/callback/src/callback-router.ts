/**
 * The self-built-app callback endpoint: several apps on one path (or one path per app), typed
 * messages and events on eventemitter3, dedup on the Store, allowlist on the scoped identity,
 * passive replies within the deadline and active replies through the app that received the user.
 */
import {
  checkKeys,
  createDefaultStore,
  errorType,
  HttpClient,
  type HttpClientOptions,
  healthResponse,
  INBOUND_OPTION_KEYS,
  type InboundOptions,
  InboundPipeline,
  type Logger,
  notifyListeners,
  observedStore,
  prefixStore,
  recordReply,
  resolveInboundOptions,
  TaskTracker,
  tracedFetch,
  WeComConfigError,
  WeComEndpoint,
  type WeComResponse,
} from '@maven/wecom-core';
import { type AllowCheck, type AllowPolicy, compileAllowlist } from './allowlist.js';
import { type AppConfig, type AppInfo, resolveApps } from './app-config.js';
import type { RateLimitRetryOptions } from './errcodes.js';
import { WeComTargetError } from './errors.js';
import { parseChatId } from './identity.js';
import type { OutboundMessage } from './outbound-message.js';
import { Message } from './outbound-message.js';
import type { CallbackRouterEvents, ReplyFailedInfo } from './router-events.js';
import { normalizedPath, type RouterApp, RouterSteps } from './router-steps.js';
import { type SendOptions, type SendResult, type TokenPolicy, WeComApi } from './wecom-api.js';

/** The single-app shorthand: an app whose name defaults to `'default'`. */
export type SingleAppConfig = Omit<AppConfig, 'name'> & { name?: string };

/** The router's options; the ones every inbound endpoint has (store, logger, deadlineMs, …) are `InboundOptions`. */
export interface CallbackRouterOptions extends InboundOptions {
  /** The apps served on this endpoint. Give `apps` or `app`. */
  apps?: readonly AppConfig[];
  /** Single-app shorthand. */
  app?: SingleAppConfig;
  /** Callback path. Default `/wecom/callback`; `/wecom/callback/<appName>` routes to one app. */
  path?: string;
  /** When set, GET on this path answers `{"status":"ok"}` (e.g. `/health`). */
  healthPath?: string;
  /**
   * Who may talk to the apps: `userId`, `corpId:userId` or `corpId:agentId:userId` entries, `'*'`
   * for everyone (or a policy from `allowlistFromEnv`). Absent: everyone who can see the app.
   */
  allowFrom?: readonly string[] | AllowPolicy;
  /** Outbound HTTP: `baseUrl` (private deployments, simulators), `timeoutMs`, `retry`, `fetch`. */
  http?: HttpClientOptions;
  /** Access-token tuning (refresh margin, cross-process lock). */
  tokens?: TokenPolicy;
  /** Back-off for 45009/45033. Default 3 attempts from 1 s. */
  rateLimitRetry?: RateLimitRetryOptions;
}

/** A target for `send`: a chat id (`corpId:agentId:userId`, or unambiguous `corpId:userId` / `userId`) or app + user. */
export type SendTarget = string | { app: string; userId: string };

export interface ResolvedTarget {
  app: AppInfo;
  userId: string;
  /** `corpId:agentId:userId`. */
  chatId: string;
}

export interface WarmUpResult {
  app: string;
  ok: boolean;
  error?: unknown;
}

const OPTION_KEYS = [
  ...INBOUND_OPTION_KEYS,
  'apps',
  'app',
  'path',
  'healthPath',
  'allowFrom',
  'http',
  'tokens',
  'rateLimitRetry',
] as const;

const DEFAULT_PATH = '/wecom/callback';

function normalizePath(where: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*$/.test(value)) {
    throw new WeComConfigError(`CallbackRouter: ${where} must be a URL path starting with '/'`);
  }
  return value.replace(/\/+$/, '') || '/';
}

export class CallbackRouter extends WeComEndpoint<CallbackRouterEvents> {
  readonly path: string;
  readonly healthPath: string | undefined;
  readonly deadlineMs: number;
  /** The configured apps, without secrets. */
  readonly apps: readonly AppInfo[];
  readonly #apps: readonly RouterApp[];
  readonly #byName: ReadonlyMap<string, RouterApp>;
  readonly #allow: AllowCheck;
  readonly #tracker = new TaskTracker();
  /** Active sends in flight, aborted when close() runs out of time. */
  readonly #inflight = new Set<AbortController>();
  #aborting = false;
  readonly #logger: Logger;

  constructor(options: CallbackRouterOptions) {
    super();
    checkKeys('CallbackRouter', options, OPTION_KEYS);
    const where = 'CallbackRouter';
    if ((options.apps === undefined) === (options.app === undefined)) {
      throw new WeComConfigError(`${where}: give either apps (a list) or app (one app)`);
    }
    const inbound = resolveInboundOptions(where, options, 'wecom-callback');
    this.#logger = inbound.logger;
    this.path = normalizePath('path', options.path ?? DEFAULT_PATH);
    this.healthPath =
      options.healthPath === undefined ? undefined : normalizePath('healthPath', options.healthPath);
    if (this.healthPath !== undefined && this.healthPath === this.path) {
      throw new WeComConfigError(`${where}: healthPath must differ from path`);
    }
    this.deadlineMs = inbound.deadlineMs;
    const configs = options.apps ?? [{ name: 'default', ...options.app }];
    const resolved = resolveApps(configs, {
      maxBodyBytes: inbound.maxBodyBytes,
      timestampWindow: inbound.timestampWindow,
      now: inbound.now,
    });
    const store = observedStore(
      inbound.store ??
        createDefaultStore({ logger: this.#logger, ...(options.now ? { now: inbound.now } : {}) }),
    );
    const http = resolved.some((a) => a.corpSecret !== undefined)
      ? new HttpClient({
          logger: this.#logger,
          ...(options.http ?? {}),
          fetch: tracedFetch(options.http?.fetch),
        })
      : undefined;
    this.#apps = resolved.map((app) => ({
      ...app,
      api:
        app.corpSecret === undefined || http === undefined
          ? undefined
          : new WeComApi({
              corpId: app.info.corpId,
              agentId: app.info.agentId,
              corpSecret: app.corpSecret,
              http,
              store,
              logger: this.#logger,
              ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
              ...(options.rateLimitRetry === undefined ? {} : { rateLimitRetry: options.rateLimitRetry }),
              ...(options.now === undefined ? {} : { now: options.now }),
            }),
    }));
    this.apps = Object.freeze(this.#apps.map((a) => a.info));
    this.#byName = new Map(this.#apps.map((a) => [a.info.name, a]));
    this.#allow = compileAllowlist(options.allowFrom);
    if (options.allowFrom === undefined) {
      this.#logger.info('no allowFrom option: every user who can see an app may use it');
    }
    const byName = this.#byName;
    const steps = new RouterSteps({
      path: this.path,
      healthPath: this.healthPath,
      apps: this.#apps,
      byName,
      maxBodyBytes: inbound.maxBodyBytes,
      allow: this.#allow,
      logger: this.#logger,
      now: inbound.now,
      session: {
        track: (task, context) => void this.#tracker.run(task, context.waitUntil),
        delivered: (info) => {
          recordReply(info.channel, info.kind, undefined);
          void notifyListeners(this, this.#logger, 'reply.delivered', [info]);
        },
        failed: (info) => this.#replyFailed(info),
        abortable: () => {
          const controller = new AbortController();
          // After close() gave up waiting, a reply that starts now is refused at once (and reported).
          if (this.#aborting) controller.abort();
          this.#inflight.add(controller);
          return { signal: controller.signal, done: () => this.#inflight.delete(controller) };
        },
      },
    });
    const path = this.path;
    const healthPath = this.healthPath;
    this.serveWith(
      new InboundPipeline({
        hooks: steps,
        emitter: this,
        options: inbound,
        // Dedup keys are `callback:dedup:<app>:<key>` on the shared Store.
        store: prefixStore(store, 'callback:'),
        logger: this.#logger,
        tasks: this.#tracker,
        paths: (pathname) => {
          const p = normalizedPath(pathname);
          if (p === path || p === healthPath) return true;
          return p.startsWith(`${path}/`) && byName.has(p.slice(path.length + 1));
        },
        onClose: async (timeoutMs) => {
          const left = await this.#tracker.drain(timeoutMs);
          if (left === 0) return;
          // Out of time: abort what is left, so each reply is reported (reply.failed, code 'closed')
          // instead of finishing unseen after the process has moved on.
          this.#logger.warn('closing with replies still in flight; aborting them', { left });
          this.#aborting = true;
          for (const controller of this.#inflight) controller.abort();
          await this.#tracker.drain(1000);
        },
        spanAttributes: (callback, app) => ({
          'wecom.kind': 'app',
          'wecom.msgtype': callback.kind === 'event' ? `event.${callback.event}` : callback.msgType,
          'wecom.app': app.info.name,
          'wecom.agent_id': app.info.agentId,
        }),
      }).handler,
    );
  }

  /** `{"status":"ok"}`, as the reference adapter's `/health`. */
  health(): WeComResponse {
    return healthResponse();
  }

  #replyFailed(info: ReplyFailedInfo): void {
    recordReply(info.channel, info.kind, errorType(info.error));
    this.#logger.warn('reply not delivered', {
      app: info.app,
      channel: info.channel,
      kind: info.kind,
      error: info.error,
    });
    void notifyListeners(this, this.#logger, 'reply.failed', [info]);
  }

  // ------------------------------------------------------------ outbound

  /**
   * The app and user a target names. `corpId:agentId:userId` picks the app exactly; `corpId:userId`
   * and bare `userId` only when exactly one app fits. Unknown or ambiguous targets throw
   * WeComTargetError: there is no fallback to the first app.
   */
  resolve(target: SendTarget): ResolvedTarget {
    let app: RouterApp | undefined;
    let userId: string;
    if (typeof target === 'object' && target !== null) {
      app = this.#byName.get(target.app);
      if (app === undefined) throw new WeComTargetError('unknown_target', `no app named "${target.app}"`);
      userId = parseChatId(target.userId).userId;
      if (userId !== target.userId)
        throw new WeComTargetError('invalid_chat_id', 'userId must not contain ":"');
    } else {
      const parsed = parseChatId(target);
      userId = parsed.userId;
      let fits: RouterApp[];
      if (parsed.kind === 'app') {
        fits = this.#apps.filter((a) => a.info.corpId === parsed.corpId && a.info.agentId === parsed.agentId);
      } else if (parsed.kind === 'corp') {
        fits = this.#apps.filter((a) => a.info.corpId === parsed.corpId);
      } else {
        fits = [...this.#apps];
      }
      if (fits.length === 0)
        throw new WeComTargetError('unknown_target', 'no configured app for this chat id');
      if (fits.length > 1) {
        throw new WeComTargetError(
          'ambiguous_target',
          `chat id fits ${fits.length} apps (${fits.map((a) => a.info.name).join(', ')}); use corpId:agentId:userId`,
        );
      }
      app = fits[0]!;
    }
    return { app: app.info, userId, chatId: `${app.info.corpId}:${app.info.agentId}:${userId}` };
  }

  /** The API client of an app (throws for unknown apps and apps without corpSecret). */
  api(appName: string): WeComApi {
    const app = this.#byName.get(appName);
    if (app === undefined) throw new WeComTargetError('unknown_target', `no app named "${appName}"`);
    if (app.api === undefined)
      throw new WeComConfigError(`app "${appName}" has no corpSecret: it cannot call the API`);
    return app.api;
  }

  /**
   * Sends to a user through the app encoded in the target (its token, its agentid). A string is
   * text, split at 2048 UTF-8 bytes into several messages.
   */
  async send(
    target: SendTarget,
    message: string | OutboundMessage,
    options: Omit<SendOptions, 'message' | 'touser' | 'toparty' | 'totag'> = {},
  ): Promise<SendResult> {
    const resolved = this.resolve(target);
    const api = this.api(resolved.app.name);
    const payload = typeof message === 'string' ? Message.text(message) : message;
    return api.send({ ...options, touser: resolved.userId, message: payload });
  }

  /** Fetches every app's access token now; failures are logged and reported, never thrown. */
  async warmUp(): Promise<WarmUpResult[]> {
    return Promise.all(
      this.#apps
        .filter((a) => a.api !== undefined)
        .map(async (a) => {
          try {
            await a.api!.tokens.get();
            return { app: a.info.name, ok: true };
          } catch (error) {
            this.#logger.error("access token warm-up failed (check the app's corpSecret)", {
              app: a.info.name,
              error,
            });
            return { app: a.info.name, ok: false, error };
          }
        }),
    );
  }

  toJSON(): Record<string, unknown> {
    return { path: this.path, apps: this.apps };
  }
}

export function createCallbackRouter(options: CallbackRouterOptions): CallbackRouter {
  return new CallbackRouter(options);
}
