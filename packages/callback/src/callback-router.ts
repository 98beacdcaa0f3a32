/**
 * The self-built-app callback endpoint: several apps on one path (or one path per app), typed
 * messages and events on eventemitter3, dedup on the Store, allowlist on the scoped identity,
 * passive replies within the deadline and active replies through the app that received the user.
 */
import {
  checkKeys,
  createDefaultStore,
  createWebhookHandler,
  Deduper,
  emptyResponse,
  HttpClient,
  type HttpClientOptions,
  healthResponse,
  type InboundRequest,
  type Logger,
  optionalFunction,
  optionalNumber,
  type ReceiveContext,
  raceDeadline,
  redactingLogger,
  requireParam,
  type Store,
  silentLogger,
  TaskTracker,
  textResponse,
  WeComConfigError,
  type WeComHandler,
  type WeComRequest,
  WeComRequestError,
  type WeComResponse,
  xmlResponse,
} from '@maven/wecom-core';
import { parseXmlEnvelope } from '@maven/wecom-crypto';
import { EventEmitter } from 'eventemitter3';
import { type AllowCheck, type AllowPolicy, compileAllowlist } from './allowlist.js';
import { type AppConfig, type AppInfo, type ResolvedApp, resolveApps } from './app-config.js';
import { routeCallback } from './app-routing.js';
import type { InboundCallback } from './callback-types.js';
import type { RateLimitRetryOptions } from './errcodes.js';
import { WeComTargetError } from './errors.js';
import { parseChatId } from './identity.js';
import type { OutboundMessage } from './outbound-message.js';
import { Message } from './outbound-message.js';
import { dedupKey, dispatchNames, parseCallback } from './parse-callback.js';
import { renderPassiveReply } from './passive-reply.js';
import { ReplySession } from './reply-session.js';
import type { CallbackContext, CallbackRouterEvents, ReplyFailedInfo } from './router-events.js';
import { type SendOptions, type SendResult, type TokenPolicy, WeComApi } from './wecom-api.js';

/** The single-app shorthand: an app whose name defaults to `'default'`. */
export type SingleAppConfig = Omit<AppConfig, 'name'> & { name?: string };

export interface CallbackRouterOptions {
  /** The apps served on this endpoint. Give `apps` or `app`. */
  apps?: readonly AppConfig[];
  /** Single-app shorthand. */
  app?: SingleAppConfig;
  /** Callback path. Default `/wecom/callback`; `/wecom/callback/<appName>` routes to one app. */
  path?: string;
  /** When set, GET on this path answers `{"status":"ok"}` (e.g. `/health`). */
  healthPath?: string;
  /** Dedup and access tokens. Default: a bounded MemoryStore (one process). */
  store?: Store;
  /** How long a handler may take to give a passive reply. Default 4000 ms (WeCom waits 5 s). */
  deadlineMs?: number;
  /** Body cap, enforced before any crypto work. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Requests processed at once; beyond it 503 (WeCom retries). Default 512. */
  maxConcurrent?: number;
  /** How long a MsgId (or event key) is remembered. Default 300 s. */
  dedupTtlMs?: number;
  /** Who may talk to the apps. Default: everyone who can see the app (documented in the README). */
  allow?: AllowPolicy;
  /** Outbound HTTP: `baseUrl` (private deployments, simulators), `timeoutMs`, `retry`, `fetch`. */
  http?: HttpClientOptions;
  /** Access-token tuning (refresh margin, cross-process lock). */
  tokens?: TokenPolicy;
  /** Back-off for 45009/45033. Default 3 attempts from 1 s. */
  rateLimitRetry?: RateLimitRetryOptions;
  logger?: Logger;
  /** Largest accepted timestamp skew in seconds, or false. Default 300. */
  timestampWindow?: number | false;
  /** Clock (ms) for timestamps, reply times and token expiry; for tests. */
  now?: () => number;
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

interface RouterApp extends ResolvedApp {
  readonly api: WeComApi | undefined;
}

const OPTION_KEYS = [
  'apps',
  'app',
  'path',
  'healthPath',
  'store',
  'deadlineMs',
  'maxBodyBytes',
  'maxConcurrent',
  'dedupTtlMs',
  'allow',
  'http',
  'tokens',
  'rateLimitRetry',
  'logger',
  'timestampWindow',
  'now',
] as const;

const DEFAULT_PATH = '/wecom/callback';

function normalizePath(where: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*$/.test(value)) {
    throw new WeComConfigError(`CallbackRouter: ${where} must be a URL path starting with '/'`);
  }
  return value.replace(/\/+$/, '') || '/';
}

type AnyListener = (...args: unknown[]) => unknown;

export class CallbackRouter extends EventEmitter<CallbackRouterEvents> implements WeComHandler {
  readonly path: string;
  readonly healthPath: string | undefined;
  readonly maxBodyBytes: number;
  readonly deadlineMs: number;
  /** The configured apps, without secrets. */
  readonly apps: readonly AppInfo[];
  readonly #apps: readonly RouterApp[];
  readonly #byName: ReadonlyMap<string, RouterApp>;
  readonly #handler: WeComHandler;
  readonly #deduper: Deduper;
  readonly #allow: AllowCheck;
  readonly #tracker = new TaskTracker();
  /** Active sends in flight, aborted when close() runs out of time. */
  readonly #inflight = new Set<AbortController>();
  #aborting = false;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #wrappers = new WeakMap<AnyListener, AnyListener>();
  #collector: unknown[] | undefined;

  constructor(options: CallbackRouterOptions) {
    super();
    checkKeys('CallbackRouter', options, OPTION_KEYS);
    const where = 'CallbackRouter';
    if ((options.apps === undefined) === (options.app === undefined)) {
      throw new WeComConfigError(`${where}: give either apps (a list) or app (one app)`);
    }
    this.#logger = options.logger === undefined ? silentLogger : redactingLogger(options.logger);
    this.#now = optionalFunction<() => number>(where, 'now', options.now) ?? Date.now;
    this.path = normalizePath('path', options.path ?? DEFAULT_PATH);
    this.healthPath =
      options.healthPath === undefined ? undefined : normalizePath('healthPath', options.healthPath);
    if (this.healthPath !== undefined && this.healthPath === this.path) {
      throw new WeComConfigError(`${where}: healthPath must differ from path`);
    }
    this.maxBodyBytes = optionalNumber(where, 'maxBodyBytes', options.maxBodyBytes, 64 * 1024, {
      min: 1024,
      max: 1024 * 1024,
      integer: true,
    });
    this.deadlineMs = optionalNumber(where, 'deadlineMs', options.deadlineMs, 4000, { min: 0, max: 4900 });
    const dedupTtlMs = optionalNumber(where, 'dedupTtlMs', options.dedupTtlMs, 300_000, {
      min: 1000,
      max: 24 * 3600_000,
    });
    const maxConcurrent = optionalNumber(where, 'maxConcurrent', options.maxConcurrent, 512, {
      min: 1,
      integer: true,
    });
    const configs = options.apps ?? [{ name: 'default', ...options.app }];
    const resolved = resolveApps(configs, {
      maxBodyBytes: this.maxBodyBytes,
      ...(options.timestampWindow === undefined ? {} : { timestampWindow: options.timestampWindow }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    const store =
      options.store ??
      createDefaultStore({ logger: this.#logger, ...(options.now ? { now: options.now } : {}) });
    const http = resolved.some((a) => a.corpSecret !== undefined)
      ? new HttpClient({ logger: this.#logger, ...(options.http ?? {}) })
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
    this.#allow = compileAllowlist(options.allow);
    if (options.allow === undefined) {
      this.#logger.info('no allow option: every user who can see an app may use it');
    }
    this.#deduper = new Deduper({
      store,
      ttlMs: dedupTtlMs,
      prefix: 'callback:dedup:',
      logger: this.#logger,
    });
    this.#handler = createWebhookHandler({
      paths: (pathname) => this.#matches(pathname),
      maxBodyBytes: this.maxBodyBytes,
      maxConcurrent,
      logger: this.#logger,
      onGet: (request) => this.#onGet(request),
      onPost: (request, context) => this.#onPost(request, context),
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
    });
  }

  // ------------------------------------------------------------ WeComHandler

  receive(request: WeComRequest, context?: ReceiveContext): Promise<WeComResponse> {
    return this.#handler.receive(request, context);
  }

  handle(request: Request, context?: ReceiveContext): Promise<Response> {
    return this.#handler.handle(request, context);
  }

  matches(pathname: string): boolean {
    return this.#handler.matches(pathname);
  }

  /** Refuses new requests, waits for in-flight replies (default up to 10 s). */
  close(options?: { timeoutMs?: number }): Promise<void> {
    return this.#handler.close(options);
  }

  /** `{"status":"ok"}`, as the reference adapter's `/health`. */
  health(): WeComResponse {
    return healthResponse();
  }

  // ------------------------------------------------------------ events

  override on<T extends EventEmitter.EventNames<CallbackRouterEvents>>(
    event: T,
    fn: EventEmitter.EventListener<CallbackRouterEvents, T>,
    context?: unknown,
  ): this {
    return super.on(event, this.#wrap(fn), context);
  }

  override addListener<T extends EventEmitter.EventNames<CallbackRouterEvents>>(
    event: T,
    fn: EventEmitter.EventListener<CallbackRouterEvents, T>,
    context?: unknown,
  ): this {
    return super.on(event, this.#wrap(fn), context);
  }

  override once<T extends EventEmitter.EventNames<CallbackRouterEvents>>(
    event: T,
    fn: EventEmitter.EventListener<CallbackRouterEvents, T>,
    context?: unknown,
  ): this {
    return super.once(event, this.#wrap(fn), context);
  }

  override off<T extends EventEmitter.EventNames<CallbackRouterEvents>>(
    event: T,
    fn?: EventEmitter.EventListener<CallbackRouterEvents, T>,
    context?: unknown,
    once?: boolean,
  ): this {
    return super.off(event, fn === undefined ? undefined : this.#wrapped(fn), context, once);
  }

  override removeListener<T extends EventEmitter.EventNames<CallbackRouterEvents>>(
    event: T,
    fn?: EventEmitter.EventListener<CallbackRouterEvents, T>,
    context?: unknown,
    once?: boolean,
  ): this {
    return this.off(event, fn, context, once);
  }

  /**
   * Listeners are wrapped once: a throw becomes a rejection, and during dispatch every return value
   * is collected so the router knows when all handlers are done (and can answer at once).
   */
  #wrap<F>(fn: F): F {
    if (typeof fn !== 'function') throw new WeComConfigError('a listener must be a function');
    const listener = fn as AnyListener;
    let wrapper = this.#wrappers.get(listener);
    if (wrapper === undefined) {
      const router = this;
      wrapper = function (this: unknown, ...args: unknown[]): void {
        let out: unknown;
        try {
          out = listener.apply(this, args);
        } catch (error) {
          out = Promise.reject(error);
        }
        if (router.#collector !== undefined) router.#collector.push(out);
        else if (out instanceof Promise) out.catch((error) => router.#listenerFailed(error));
      };
      this.#wrappers.set(listener, wrapper);
    }
    return wrapper as F;
  }

  #wrapped<F>(fn: F): F {
    return (this.#wrappers.get(fn as AnyListener) ?? fn) as F;
  }

  #listenerFailed(error: unknown): void {
    this.#logger.error('an event listener failed', { error });
  }

  /** Emits a lifecycle event; its listeners' failures are logged, never thrown into the router. */
  #notify<T extends 'reply.delivered' | 'reply.failed' | 'denied' | 'duplicate' | 'error'>(
    event: T,
    ...args: EventEmitter.EventArgs<CallbackRouterEvents, T>
  ): void {
    const saved = this.#collector;
    this.#collector = undefined;
    try {
      this.emit(event, ...args);
    } catch (error) {
      this.#listenerFailed(error);
    } finally {
      this.#collector = saved;
    }
  }

  // ------------------------------------------------------------ inbound

  #matches(pathname: string): boolean {
    const p = pathname.replace(/\/+$/, '') || '/';
    if (p === this.path || p === this.healthPath) return true;
    return p.startsWith(`${this.path}/`) && this.#byName.has(p.slice(this.path.length + 1));
  }

  #candidates(pathname: string): readonly RouterApp[] {
    const p = pathname.replace(/\/+$/, '') || '/';
    if (p === this.path) return this.#apps;
    const app = this.#byName.get(p.slice(this.path.length + 1));
    if (app === undefined) throw new WeComRequestError('not_found', 'unknown app path');
    return [app];
  }

  #isHealth(pathname: string): boolean {
    return this.healthPath !== undefined && (pathname.replace(/\/+$/, '') || '/') === this.healthPath;
  }

  async #onGet(request: InboundRequest): Promise<WeComResponse> {
    if (this.#isHealth(request.pathname)) return this.health();
    const candidates = this.#candidates(request.pathname);
    const params = {
      signature: requireParam(request.query, 'msg_signature'),
      timestamp: requireParam(request.query, 'timestamp'),
      nonce: requireParam(request.query, 'nonce'),
      echostr: requireParam(request.query, 'echostr'),
    };
    for (const app of candidates) {
      try {
        const plaintext = await app.crypto.verifyUrl(params);
        this.#logger.info('callback URL verified', { app: app.info.name });
        return textResponse(200, plaintext);
      } catch {
        // try the next app; only if none verifies is the request refused
      }
    }
    throw new WeComRequestError('forbidden', 'no configured app verifies this URL');
  }

  async #onPost(request: InboundRequest, context: ReceiveContext): Promise<WeComResponse> {
    if (this.#isHealth(request.pathname)) throw new WeComRequestError('method_not_allowed', 'GET only');
    const candidates = this.#candidates(request.pathname);
    const query = {
      signature: requireParam(request.query, 'msg_signature'),
      timestamp: requireParam(request.query, 'timestamp'),
      nonce: requireParam(request.query, 'nonce'),
    };
    const envelope = parseXmlEnvelope(request.body, { maxLength: this.maxBodyBytes });
    const routed = await routeCallback(candidates, query, envelope, {
      maxXmlLength: this.maxBodyBytes,
      logger: this.#logger,
    });
    const app = routed.app as RouterApp;
    const callback = parseCallback(routed.xml);
    const name = app.info.name;
    if (callback.userId !== 'sys') {
      const identity = { corpId: app.info.corpId, agentId: app.info.agentId, userId: callback.userId };
      if (!this.#allow(identity)) {
        const chatId = `${identity.corpId}:${identity.agentId}:${identity.userId}`;
        this.#logger.info('callback from a user outside the allowlist: acknowledged, not dispatched', {
          app: name,
          userId: callback.userId,
        });
        this.#notify('denied', { app: name, userId: callback.userId, chatId, callback });
        return emptyResponse();
      }
    }
    const key = `${name}:${dedupKey(callback)}`;
    if (!(await this.#deduper.first(key))) {
      this.#logger.debug('duplicate callback acknowledged', { app: name, key });
      this.#notify('duplicate', { app: name, key, callback });
      return emptyResponse();
    }
    return this.#dispatch(app, callback, context);
  }

  async #dispatch(
    app: RouterApp,
    callback: InboundCallback,
    context: ReceiveContext,
  ): Promise<WeComResponse> {
    const session = new ReplySession({
      app: app.info,
      callback,
      api: app.api,
      track: (task) => this.#tracker.run(task, context.waitUntil),
      delivered: (info) => this.#notify('reply.delivered', info),
      failed: (info) => this.#replyFailed(info),
      abortable: () => {
        const controller = new AbortController();
        // After close() gave up waiting, a reply that starts now is refused at once (and reported).
        if (this.#aborting) controller.abort();
        this.#inflight.add(controller);
        return { signal: controller.signal, done: () => this.#inflight.delete(controller) };
      },
    });
    const outcomes: unknown[] = [];
    const saved = this.#collector;
    this.#collector = outcomes;
    try {
      const emit = this.emit as (event: string, ...args: unknown[]) => boolean;
      for (const name of dispatchNames(callback)) emit.call(this, name, callback, session);
    } finally {
      this.#collector = saved;
    }
    if (outcomes.length === 0)
      this.#logger.debug('no handler for callback', { app: app.info.name, type: callback.msgType });
    const settled = Promise.allSettled(outcomes).then((results) => {
      for (const r of results) if (r.status === 'rejected') this.#handlerFailed(r.reason, session);
    });
    void this.#tracker.run(settled, context.waitUntil);
    await raceDeadline(Promise.race([session.decided, settled]), this.deadlineMs);
    const reply = session.finish();
    if (reply === undefined) return emptyResponse();
    const info = {
      app: app.info.name,
      chatId: session.chatId,
      via: 'passive' as const,
      replyType: reply.type,
    };
    try {
      const xml = renderPassiveReply(reply, {
        toUser: callback.userId,
        corpId: app.info.corpId,
        createTime: Math.floor(this.#now() / 1000),
      });
      const body = await app.crypto.encryptReply(xml, { format: 'xml' });
      this.#notify('reply.delivered', { ...info, msgids: [] });
      return xmlResponse(200, body);
    } catch (error) {
      this.#replyFailed({ ...info, error });
      return emptyResponse();
    }
  }

  #replyFailed(info: ReplyFailedInfo): void {
    this.#logger.warn('reply not delivered', {
      app: info.app,
      via: info.via,
      replyType: info.replyType,
      error: info.error,
    });
    this.#notify('reply.failed', info);
  }

  #handlerFailed(error: unknown, ctx: CallbackContext): void {
    if (this.listenerCount('error') > 0) this.#notify('error', error, ctx);
    else this.#logger.error('callback handler failed', { app: ctx.app.name, error });
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
            this.#logger.warn('access token warm-up failed', { app: a.info.name, error });
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
