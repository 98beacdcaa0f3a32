/**
 * The one inbound pipeline of the bot and the router. A transport hands it a callback — the webhook
 * (an encrypted HTTP request: verify, decrypt, then the steps below) or, later, a long connection
 * (frames already plaintext) — and from parse on every callback takes the same steps:
 * parse → allow → dedup → dispatch to the listeners racing the deadline → passive reply or
 * acknowledgement. The bot and the router only configure it, through `InboundHooks`.
 */
import { Deduper } from './dedup.js';
import {
  type AnyEventEmitter,
  callListeners,
  type ErrorInfo,
  type ListenerRun,
  notifyListeners,
  reportError,
} from './emitter.js';
import { WeComRequestError } from './errors.js';
import {
  createWebhookHandler,
  type InboundRequest,
  type ReceiveContext,
  requireParam,
  textResponse,
  type WeComHandler,
  type WeComResponse,
} from './handler.js';
import type { ResolvedInboundOptions } from './inbound-options.js';
import type { Logger } from './logger.js';
import type { Store } from './store.js';
import { raceDeadline, type TaskTracker } from './tasks.js';
import { inSpan, type SpanAttributes } from './telemetry.js';
import { annotateCallback, callbackOutcome, inCallback } from './telemetry-callback.js';

/** The signed query of a callback. */
export interface SignedQuery {
  signature: string;
  timestamp: string;
  nonce: string;
}

/** The passive answer an exchange settled on, and what to say once it went out (or could not). */
export interface PassiveChoice<P> {
  reply: P;
  delivered?(): void | Promise<void>;
  failed?(error: unknown): void | Promise<void>;
}

/** One callback's reply state: the context listeners get and the passive slot. */
export interface InboundExchange<P, C> {
  readonly context: C;
  /** Resolves when the answer can go out now (a passive reply was chosen, or the slot given up). */
  readonly decided: Promise<void>;
  /** True once `decided` has resolved (read right after the listeners were called: no race then). */
  readonly decidedNow?: boolean;
  /** Closes the passive slot; the passive reply, if one was chosen. Replies from then on go active. */
  close(): PassiveChoice<P> | undefined | Promise<PassiveChoice<P> | undefined>;
}

/**
 * How the bot or the router configures the pipeline. `A` is the app that opened a callback, `D` what
 * decryption yields, `M` the typed callback, `P` a passive reply, `C` the listeners' context.
 */
export interface InboundHooks<A, D, M, P, C> {
  /** Answers a request before the signed walk (the router's health path); undefined: go on. */
  route?(request: InboundRequest): WeComResponse | undefined;
  /** GET: the plaintext of `echostr` (WeCom's URL check). */
  verifyUrl(query: SignedQuery & { echostr: string }, request: InboundRequest): Promise<string>;
  /** POST: envelope → signature and timestamp → decrypt → receiveId; and which app opened it. */
  open(query: SignedQuery, request: InboundRequest): Promise<{ app: A; decrypted: D }>;
  /** The typed callback. Throws a 400 error for a plaintext that is not one. */
  parse(decrypted: D, app: A): M;
  /** The dedup key; undefined when the callback has none (the signed request's mark applies). */
  dedupKey(message: M, app: A): string | undefined;
  /** Names and ids for logs and `ErrorInfo`. */
  describe(message: M, app: A): { type: string; msgId?: string; app?: string; chatId?: string };
  /** The listener events of a callback, most specific first, the catch-all last. */
  eventNames(message: M): readonly string[];
  /** An answer without dispatch (the bot's stream refresh); null: acknowledge; undefined: go on. */
  answerEarly?(message: M, app: A): Promise<PassiveChoice<P> | null | undefined>;
  /** The allowlist; `denied` carries what `deniedInfo` returns. */
  isAllowed(message: M, app: A): boolean;
  deniedInfo(message: M, app: A): unknown;
  /**
   * Store writes a callback's listeners need (the bot's reply target), started together with the
   * dedup claim so both travel in one round trip; a re-delivery writes the same values again.
   * Must not reject. Undefined: nothing to write.
   */
  record?(message: M, app: A, context: ReceiveContext): Promise<void> | undefined;
  /** `duplicate` carries what this returns. */
  duplicateInfo(message: M, app: A, key: string): unknown;
  /** What a re-delivery gets (the bot: the stream the first copy started); undefined: acknowledge. */
  answerDuplicate?(message: M, app: A): Promise<PassiveChoice<P> | undefined>;
  /** The exchange of a dispatched callback (its context, its passive slot). */
  begin(message: M, app: A, context: ReceiveContext): InboundExchange<P, C> | Promise<InboundExchange<P, C>>;
  /** After every listener settled (the bot finishes a stream a failed listener left open). */
  settled?(exchange: InboundExchange<P, C>, run: ListenerRun): Promise<void>;
  /** The webhook's encrypted HTTP answer for a passive reply. */
  render(reply: P, app: A, query: SignedQuery): Promise<WeComResponse>;
  /** The webhook's answer when there is no passive reply. */
  acknowledge(app: A, query: SignedQuery): WeComResponse | Promise<WeComResponse>;
}

export interface InboundPipelineOptions<A, D, M, P, C> {
  hooks: InboundHooks<A, D, M, P, C>;
  /** The bot or the router: its listeners are dispatched to. */
  emitter: AnyEventEmitter;
  options: ResolvedInboundOptions;
  /** Already scoped to this bot or router. */
  store: Store;
  logger: Logger;
  tasks: TaskTracker;
  /** Paths the webhook answers (see `WebhookSpec.paths`). */
  paths?: readonly string[] | ((pathname: string) => boolean) | undefined;
  onClose(timeoutMs: number): Promise<void>;
  /** The callback span's attributes (`wecom.kind`, `wecom.msgtype`…); called only when a span records. */
  spanAttributes?(message: M, app: A): SpanAttributes;
}

/** What the pipeline decided for one callback: a passive reply, or an acknowledgement. */
export type InboundOutcome<P> = PassiveChoice<P> | undefined;

export class InboundPipeline<A, D, M, P, C> {
  /** The webhook transport: the one handler entry the ports call. */
  readonly handler: WeComHandler;
  readonly #hooks: InboundHooks<A, D, M, P, C>;
  readonly #emitter: AnyEventEmitter;
  readonly #o: ResolvedInboundOptions;
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #tasks: TaskTracker;
  readonly #dedup: Deduper;
  readonly #spanAttributes: InboundPipelineOptions<A, D, M, P, C>['spanAttributes'];

  constructor(init: InboundPipelineOptions<A, D, M, P, C>) {
    this.#hooks = init.hooks;
    this.#emitter = init.emitter;
    this.#o = init.options;
    this.#store = init.store;
    this.#logger = init.logger;
    this.#tasks = init.tasks;
    this.#spanAttributes = init.spanAttributes;
    this.#dedup = new Deduper({
      store: init.store,
      ttlMs: init.options.dedupTtlMs,
      // Held while the listeners race the deadline, lapsed before WeCom's re-delivery (~5 s).
      leaseMs: init.options.deadlineMs + 500,
      prefix: 'dedup:',
      logger: init.logger,
      now: init.options.now,
    });
    this.handler = createWebhookHandler({
      paths: init.paths,
      maxBodyBytes: init.options.maxBodyBytes,
      bodyTimeoutMs: init.options.bodyTimeoutMs,
      maxConcurrent: init.options.maxConcurrent,
      logger: init.logger,
      onGet: (request) => this.#onGet(request),
      onPost: (request, context) => this.#onPost(request, context),
      onClose: init.onClose,
      now: init.options.now,
    });
  }

  // ---- the webhook transport ------------------------------------------------------------------

  async #onGet(request: InboundRequest): Promise<WeComResponse> {
    const routed = this.#hooks.route?.(request);
    if (routed) return routed;
    const query = {
      ...signedQuery(request.query),
      // base64 has no spaces: a '+' that arrived unencoded was decoded to ' ' by the query parser.
      echostr: requireParam(request.query, 'echostr').replaceAll(' ', '+'),
    };
    const plain = await this.#hooks.verifyUrl(query, request);
    // WeCom wants the bare plaintext: no quotes, no BOM, no trailing newline.
    return textResponse(200, plain.replace(/^\uFEFF/, '').replace(/[\r\n]+$/, ''));
  }

  #onPost(request: InboundRequest, context: ReceiveContext): Promise<WeComResponse> {
    const routed = this.#hooks.route?.(request);
    if (routed) return Promise.resolve(routed);
    return inCallback(POST_ATTRIBUTES, () => this.#receive(request, context).catch(refused));
  }

  async #receive(request: InboundRequest, context: ReceiveContext): Promise<WeComResponse> {
    const query = signedQuery(request.query);
    const { app, decrypted } = await inSpan('wecom.open', {}, () => this.#hooks.open(query, request));
    const message = this.#hooks.parse(decrypted, app);
    annotateCallback(this.#spanAttributes, message, app);
    const key = this.#hooks.dedupKey(message, app);
    // A callback without a dedup key is caught by the mark of its signed request: an identical
    // request (same timestamp, nonce, signature) inside the window is a replay or a re-delivery.
    if (key === undefined && !(await this.#firstSighting(query))) {
      this.#logger.debug('repeated callback acknowledged without dispatch', {
        timestamp: query.timestamp,
        nonce: query.nonce,
      });
      callbackOutcome('duplicate');
      return this.#hooks.acknowledge(app, query);
    }
    const outcome = await this.process(message, app, key, context);
    if (!outcome) return inSpan('wecom.acknowledge', {}, () => this.#hooks.acknowledge(app, query));
    return inSpan('wecom.reply', { 'wecom.channel': 'passive' }, async () => {
      let response: WeComResponse;
      try {
        response = await this.#hooks.render(outcome.reply, app, query);
      } catch (error) {
        const failed = outcome.failed?.(error);
        if (failed) await failed;
        return this.#hooks.acknowledge(app, query);
      }
      const delivered = outcome.delivered?.();
      if (delivered) await delivered;
      return response;
    });
  }

  async #firstSighting(query: SignedQuery): Promise<boolean> {
    try {
      return await this.#store.setIfAbsent(
        `replay:${query.timestamp}:${query.nonce}:${query.signature}`,
        '1',
        { ttlMs: this.#o.replayTtlMs },
      );
    } catch (error) {
      this.#logger.warn('replay mark failed; continuing (fail-open)', { error });
      return true;
    }
  }

  // ---- the steps every transport shares ---------------------------------------------------------

  /**
   * allow → dedup → dispatch → the passive reply, for a callback already opened and parsed.
   * `key` is the callback's dedup key (undefined: none).
   */
  async process(
    message: M,
    app: A,
    key: string | undefined,
    context: ReceiveContext,
  ): Promise<InboundOutcome<P>> {
    const hooks = this.#hooks;
    // Awaited only where there is such a hook (each await of a plain value costs a promise).
    const early = hooks.answerEarly ? await hooks.answerEarly(message, app) : undefined;
    if (early !== undefined) return early ?? undefined;
    if (!hooks.isAllowed(message, app)) {
      this.#logger.info(
        'sender not in allowFrom: acknowledged, not dispatched',
        hooks.describe(message, app),
      );
      callbackOutcome('denied');
      await notifyListeners(this.#emitter, this.#logger, 'denied', [hooks.deniedInfo(message, app)]);
      return undefined;
    }
    const recording = hooks.record?.(message, app, context);
    if (key === undefined) {
      if (recording) await recording;
      return this.#dispatch(message, app, context);
    }
    const claim = await this.#dedup.claim(key);
    if (recording) await recording;
    if (claim === 'done') {
      this.#logger.info('duplicate callback acknowledged without dispatch', hooks.describe(message, app));
      callbackOutcome('duplicate');
      await notifyListeners(this.#emitter, this.#logger, 'duplicate', [
        hooks.duplicateInfo(message, app, key),
      ]);
      return hooks.answerDuplicate?.(message, app);
    }
    if (claim === 'in_progress') {
      // Not a 200: should the copy being handled die with its process, WeCom's next try is handled.
      this.#logger.info('re-delivery of a callback still being handled: 503, WeCom tries again', {
        ...hooks.describe(message, app),
      });
      throw new WeComRequestError('in_progress', 'this callback is still being handled');
    }
    const outcome = await this.#dispatch(message, app, context);
    // This process knows at once; the Store's "done" mark is written off the answer's path.
    void this.#tasks.run(this.#dedup.complete(key), context.waitUntil);
    return outcome;
  }

  #dispatch(message: M, app: A, context: ReceiveContext): Promise<InboundOutcome<P>> {
    callbackOutcome('accepted');
    // The listeners run inside this span's context: their outbound calls join the callback's trace.
    return inSpan('wecom.listeners', {}, () => this.#race(message, app, context));
  }

  async #race(message: M, app: A, context: ReceiveContext): Promise<InboundOutcome<P>> {
    const hooks = this.#hooks;
    const begun = hooks.begin(message, app, context);
    const exchange = begun instanceof Promise ? await begun : begun;
    const run = callListeners(this.#emitter, hooks.eventNames(message), [message, exchange.context]);
    const failed = (error: unknown) => {
      this.#logger.error('dispatch failed', { error, ...hooks.describe(message, app) });
    };
    // What is left once the listeners settled; nothing when they settled at once with nothing to report.
    let tracked: Promise<void> | undefined;
    if (run instanceof Promise) {
      tracked = run.then((r) => this.#settled(message, app, exchange, r)).catch(failed);
    } else {
      tracked = this.#settled(message, app, exchange, run)?.catch(failed);
    }
    if (tracked) void this.#tasks.run(tracked, context.waitUntil);
    // A listener that replied at once needs no deadline race (and no timer); listeners that all
    // returned without replying leave nothing to wait for.
    if (!exchange.decidedNow && tracked) {
      await raceDeadline(Promise.race([tracked, exchange.decided]), this.#o.deadlineMs);
    }
    return exchange.close();
  }

  /** After the listeners settled: their errors reported, the `settled` hook; undefined if neither. */
  #settled(message: M, app: A, exchange: InboundExchange<P, C>, run: ListenerRun): Promise<void> | undefined {
    const hooks = this.#hooks;
    if (run.count === 0) {
      this.#logger.info('no listener for this callback; acknowledged', hooks.describe(message, app));
    }
    if (run.errors.length === 0 && !hooks.settled) return undefined;
    return this.#report(message, app, exchange, run);
  }

  async #report(message: M, app: A, exchange: InboundExchange<P, C>, run: ListenerRun): Promise<void> {
    const hooks = this.#hooks;
    for (const error of run.errors) {
      const info: ErrorInfo = { phase: 'listener', ...hooks.describe(message, app) };
      await reportError(this.#emitter, this.#logger, error, info);
    }
    await hooks.settled?.(exchange, run);
  }
}

const POST_ATTRIBUTES = { 'http.request.method': 'POST' } as const;

/** Notes a refused callback on its span, and passes the error on. */
function refused(error: unknown): never {
  const code = (error as { code?: unknown }).code;
  callbackOutcome(
    code === 'in_progress' ? 'in_progress' : 'refused',
    typeof code === 'string' ? code : 'error',
  );
  throw error;
}

function signedQuery(query: URLSearchParams): SignedQuery {
  return {
    signature: requireParam(query, 'msg_signature'),
    timestamp: requireParam(query, 'timestamp'),
    nonce: requireParam(query, 'nonce'),
  };
}
