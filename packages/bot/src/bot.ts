/**
 * WeComBot: the AI bot (智能机器人) in API callback mode. One callback's walk: signature and
 * timestamp (crypto), replay check, decrypt, parse, allowFrom, dedup, remember the response_url,
 * dispatch to listeners racing the deadline, then a passive reply or an acknowledgement. Replies
 * that miss the deadline go out through the message's own response_url, tracked until settled.
 */
import {
  createConsoleLogger,
  createWebhookHandler,
  Deduper,
  emptyResponse,
  HttpClient,
  type InboundRequest,
  type Logger,
  prefixStore,
  type ReceiveContext,
  raceDeadline,
  redactingLogger,
  registerSecret,
  requireParam,
  type Store,
  TaskTracker,
  textResponse,
  type WeComHandler,
  type WeComRequest,
  WeComRequestError,
  type WeComResponse,
} from '@maven/wecom-core';
import { WeComCrypto } from '@maven/wecom-crypto';
import { EventEmitter } from 'eventemitter3';
import { type BotContext, Exchange, type ExchangeServices, type ReplyOptions } from './context.js';
import type { DeliveryResult } from './delivery.js';
import { md5Hex } from './digest.js';
import { WeComBotError } from './errors.js';
import type { BotEventName, BotEvents, ErrorInfo } from './events.js';
import { downloadMedia, type MediaFile, type MediaSource } from './media.js';
import { type ResolvedOptions, resolveOptions, type WeComBotOptions } from './options.js';
import { ResponseUrlOutbox } from './outbox.js';
import { parseCallback, type StreamRefresh } from './parse.js';
import { checkCard, checkFeedbackId, fitContent, type PassiveBody, streamFrame } from './payloads.js';
import { type ReplyTarget, ReplyTargets } from './reply-targets.js';
import { loadStream } from './stream.js';
import type { BotInbound, TemplateCard } from './types.js';

/** What this channel can do, truthfully (hosts read it instead of guessing). */
export interface BotCapabilities {
  /** No proactive send: only answers to a user's message (passive or its response_url). */
  readonly reactiveOnly: true;
  readonly streaming: true;
  readonly templateCards: true;
  /** No upload path exists in the AI bot callback mode. */
  readonly fileUpload: false;
}

/** Whom `bot.reply()` answers outside a handler: one message (preferred), or a chat's newest unused message. */
export type ReplyTargetRef = { msgid: string } | { chatId: string };

type AnyListener = (...args: unknown[]) => unknown;
type Names = EventEmitter.EventNames<BotEvents>;
type Listener<T extends Names> = EventEmitter.EventListener<BotEvents, T>;

interface Signed {
  timestamp: string;
  nonce: string;
}

/** What #call returns when no listener is registered (shared: never mutated). */
const NO_CALLS: { count: number; errors: unknown[] } = Object.freeze({ count: 0, errors: [] }) as {
  count: number;
  errors: unknown[];
};

export class WeComBot extends EventEmitter<BotEvents> implements WeComHandler {
  readonly capabilities: BotCapabilities = Object.freeze({
    reactiveOnly: true,
    streaming: true,
    templateCards: true,
    fileUpload: false,
  });
  readonly maxBodyBytes: number;
  readonly #o: ResolvedOptions;
  readonly #crypto: WeComCrypto;
  readonly #store: Store;
  readonly #http: HttpClient;
  readonly #logger: Logger;
  readonly #tasks = new TaskTracker();
  readonly #dedup: Deduper;
  readonly #targets: ReplyTargets;
  readonly #outbox: ResponseUrlOutbox;
  readonly #handler: WeComHandler;
  /** Listener → wrappers registered for it (once / explicit context), so off() finds them. */
  readonly #wrappers = new Map<AnyListener, Set<AnyListener>>();

  constructor(options: WeComBotOptions) {
    super();
    const o = resolveOptions(options);
    registerSecret(o.token);
    registerSecret(o.encodingAESKey);
    this.#o = o;
    this.#logger = redactingLogger(o.logger ?? createConsoleLogger({ level: 'warn', name: 'wecom-bot' }));
    this.#crypto = new WeComCrypto({
      token: o.token,
      encodingAESKey: o.encodingAESKey,
      ...(o.receiveId === undefined ? {} : { receiveId: o.receiveId }),
      timestampWindow: o.timestampWindow,
      now: o.now,
      maxBodyLength: o.maxBodyBytes,
    });
    // Keys are scoped per bot so several bots can share one Store; the scope is the same on every
    // replica of a bot (its aibotId, else a digest that reveals nothing usable about the key).
    const scope = o.aibotId ?? md5Hex(`${o.token}\n${o.encodingAESKey}`).slice(0, 16);
    this.#store = prefixStore(o.store, `bot:${scope}:`);
    this.#http = new HttpClient({ ...o.http, logger: this.#logger });
    this.#dedup = new Deduper({
      store: this.#store,
      // Dedup is also the replay check of every message with a msgid: its mark outlives the span in
      // which a signed timestamp is accepted (window on either side of the clock).
      ttlMs: o.timestampWindow === false ? o.dedupTtlMs : Math.max(o.dedupTtlMs, o.timestampWindow * 2000),
      prefix: 'dedup:',
      logger: this.#logger,
    });
    this.#targets = new ReplyTargets({
      store: this.#store,
      ttlMs: o.responseUrlTtlMs,
      now: o.now,
      logger: this.#logger,
    });
    this.#outbox = new ResponseUrlOutbox({
      http: this.#http,
      store: this.#store,
      ttlMs: o.responseUrlTtlMs,
      logger: this.#logger,
      tasks: this.#tasks,
      retryErrcodes: o.http.retry?.retryErrcodes ?? [-1, 6000],
      retryStatuses: o.http.retry?.retryStatuses ?? [429, 500, 502, 503, 504],
      report: (result) => this.#report(result),
    });
    this.maxBodyBytes = o.maxBodyBytes;
    this.#handler = createWebhookHandler({
      ...(o.paths ? { paths: o.paths } : {}),
      maxBodyBytes: o.maxBodyBytes,
      maxConcurrent: o.maxConcurrent,
      logger: this.#logger,
      onGet: (request) => this.#onGet(request),
      onPost: (request, context) => this.#onPost(request, context),
      onClose: (timeoutMs) => this.#onClose(timeoutMs),
    });
  }

  // ---- WeComHandler ------------------------------------------------------------------------

  receive(request: WeComRequest, context?: ReceiveContext): Promise<WeComResponse> {
    return this.#handler.receive(request, context);
  }

  handle(request: Request, context?: ReceiveContext): Promise<Response> {
    return this.#handler.handle(request, context);
  }

  matches(pathname: string): boolean {
    return this.#handler.matches(pathname);
  }

  /** Stops taking callbacks, waits for background replies (up to `timeoutMs`), then aborts the rest. */
  close(options?: { timeoutMs?: number }): Promise<void> {
    return this.#handler.close(options);
  }

  // ---- Replies outside a handler -----------------------------------------------------------

  /**
   * Answers a message later (gateway style: the inbound went to a bus, the answer comes back).
   * `{ msgid }` uses that message's own response_url; `{ chatId }` the newest unused one of the
   * chat. An unknown target rejects with `unknown_reply_target` (and reports reply.failed).
   */
  reply(target: ReplyTargetRef, markdown: string, options: ReplyOptions = {}): Promise<DeliveryResult> {
    if (typeof markdown !== 'string')
      throw new WeComBotError('invalid_reply', 'reply takes a markdown string');
    const feedbackId = checkFeedbackId(options.feedbackId);
    // Tracked from the first await, so close() waits for the target lookup too.
    return this.#tasks.run(this.#reply(target, markdown, feedbackId));
  }

  async #reply(
    target: ReplyTargetRef,
    markdown: string,
    feedbackId: string | undefined,
  ): Promise<DeliveryResult> {
    const found = await this.#resolveTarget(target, 'markdown');
    if (!found.ok) return found.result;
    const fit = fitContent(markdown, this.#o.truncationMarker);
    return this.#outbox.send(
      this.#outboxTarget(found.target),
      {
        msgtype: 'markdown',
        markdown: { content: fit.text, ...(feedbackId ? { feedback: { id: feedbackId } } : {}) },
      },
      { kind: 'markdown', ...(fit.truncated ? { truncated: true } : {}) },
    );
  }

  /** A template card through a message's response_url (WeCom allows it in single chats only). */
  replyCard(target: ReplyTargetRef, card: TemplateCard): Promise<DeliveryResult> {
    const checked = checkCard(card, 'replyCard');
    return this.#tasks.run(this.#replyCard(target, checked));
  }

  async #replyCard(target: ReplyTargetRef, checked: TemplateCard): Promise<DeliveryResult> {
    const found = await this.#resolveTarget(target, 'template_card');
    if (!found.ok) return found.result;
    if (found.target.chattype !== 'single') {
      const error = new WeComBotError(
        'reply_unsupported',
        'WeCom takes template cards via response_url in single chats only',
      );
      return this.#outbox.fail(
        this.#outboxTarget(found.target),
        { kind: 'template_card' },
        'unsupported',
        error,
      );
    }
    return this.#outbox.send(
      this.#outboxTarget(found.target),
      { msgtype: 'template_card', template_card: checked },
      { kind: 'template_card' },
    );
  }

  /** Downloads, decrypts and sniffs media: a URL, a media item, or a message with media. */
  downloadMedia(source: MediaSource): Promise<MediaFile> {
    return downloadMedia(source, { http: this.#http, crypto: this.#crypto, options: this.#o.media });
  }

  /**
   * For schedulers: this channel cannot deliver proactively. Logs the skip at WARN (the reference
   * gateway claimed a warning but logged at info) and returns false, so callers can write
   * `if (!bot.skipProactive({ job })) continue;`.
   */
  skipProactive(details: Record<string, unknown> = {}): false {
    this.#logger.warn(
      'WeCom AI bot is reactive-only: proactive delivery skipped (use another channel for notifications)',
      details,
    );
    return false;
  }

  // ---- Typed listeners ---------------------------------------------------------------------

  override on<T extends Names>(event: T, fn: Listener<T>, context?: unknown): this {
    if (context === undefined) return super.on(event, fn);
    const wrapper = ((...args: unknown[]) => (fn as AnyListener).apply(context, args)) as Listener<T>;
    this.#track(fn, wrapper);
    return super.on(event, wrapper);
  }

  override addListener<T extends Names>(event: T, fn: Listener<T>, context?: unknown): this {
    return this.on(event, fn, context);
  }

  override once<T extends Names>(event: T, fn: Listener<T>, context?: unknown): this {
    let fired = false;
    const wrapper = ((...args: unknown[]) => {
      if (fired) return undefined;
      fired = true;
      super.off(event, wrapper);
      this.#wrappers.get(fn as AnyListener)?.delete(wrapper as AnyListener);
      return (fn as AnyListener).apply(context ?? this, args);
    }) as Listener<T>;
    this.#track(fn, wrapper);
    return super.on(event, wrapper);
  }

  override off<T extends Names>(event: T, fn?: Listener<T>, context?: unknown, once?: boolean): this {
    if (fn === undefined) return super.off(event);
    super.off(event, fn, context, once);
    for (const wrapper of this.#wrappers.get(fn as AnyListener) ?? [])
      super.off(event, wrapper as Listener<T>);
    return this;
  }

  override removeListener<T extends Names>(
    event: T,
    fn?: Listener<T>,
    context?: unknown,
    once?: boolean,
  ): this {
    return this.off(event, fn, context, once);
  }

  #track(fn: unknown, wrapper: unknown): void {
    const set = this.#wrappers.get(fn as AnyListener) ?? new Set();
    set.add(wrapper as AnyListener);
    this.#wrappers.set(fn as AnyListener, set);
  }

  /** Calls every listener of the events and awaits them all; returns what they threw. */
  async #call(
    names: readonly BotEventName[],
    args: unknown[],
  ): Promise<{ count: number; errors: unknown[] }> {
    let any = false;
    for (const name of names) any ||= this.listenerCount(name) > 0;
    if (!any) return NO_CALLS;
    const runs: Promise<unknown>[] = [];
    for (const name of names) {
      for (const fn of this.listeners(name) as AnyListener[]) {
        try {
          runs.push(Promise.resolve(fn.apply(this, args)));
        } catch (error) {
          runs.push(Promise.reject(error));
        }
      }
    }
    const settled = await Promise.allSettled(runs);
    const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    return { count: runs.length, errors };
  }

  async #emitError(error: unknown, info: ErrorInfo): Promise<void> {
    this.#logger.error('wecom bot error', { ...info, error });
    const { errors } = await this.#call(['error'], [error, info]);
    for (const e of errors) this.#logger.error('an error listener threw', { error: e });
  }

  async #report(result: DeliveryResult): Promise<void> {
    if (result.ok) {
      this.#logger.debug('reply delivered', {
        channel: result.channel,
        kind: result.kind,
        msgid: result.msgid,
      });
    } else {
      this.#logger.warn('reply failed', {
        channel: result.channel,
        kind: result.kind,
        msgid: result.msgid,
        reason: result.reason,
        error: result.error,
      });
    }
    const { errors } = await this.#call([result.ok ? 'reply.delivered' : 'reply.failed'], [result]);
    for (const e of errors) this.#logger.error('a reply listener threw', { error: e });
  }

  // ---- Inbound -----------------------------------------------------------------------------

  async #onGet(request: InboundRequest): Promise<WeComResponse> {
    const signature = requireParam(request.query, 'msg_signature');
    const timestamp = requireParam(request.query, 'timestamp');
    const nonce = requireParam(request.query, 'nonce');
    // base64 has no spaces: a '+' that arrived unencoded was decoded to ' ' by the query parser.
    const echostr = requireParam(request.query, 'echostr').replaceAll(' ', '+');
    const plain = await this.#crypto.verifyUrl({ signature, timestamp, nonce, echostr });
    // WeCom wants the bare plaintext: no quotes, no BOM, no trailing newline.
    return textResponse(200, plain.replace(/^\uFEFF/, '').replace(/[\r\n]+$/, ''));
  }

  async #onPost(request: InboundRequest, rc: ReceiveContext): Promise<WeComResponse> {
    const signature = requireParam(request.query, 'msg_signature');
    const timestamp = requireParam(request.query, 'timestamp');
    const nonce = requireParam(request.query, 'nonce');
    const signed: Signed = { timestamp, nonce };
    const decrypted = await this.#crypto.decryptCallback({
      signature,
      timestamp,
      nonce,
      body: request.body,
      format: 'json',
    });
    if (this.#o.receiveId === undefined && decrypted.receiveId !== '') {
      this.#logger.debug('callback receiveId is not empty (not enforced: receiveId is not configured)', {
        receiveId: decrypted.receiveId,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(decrypted.message);
    } catch (cause) {
      throw new WeComRequestError('bad_request', 'decrypted message is not JSON', { cause });
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new WeComRequestError('bad_request', 'decrypted message is not a JSON object');
    }
    const parsed = parseCallback(json as Record<string, unknown>);
    if (this.#o.aibotId !== undefined && parsed.aibotid !== '' && parsed.aibotid !== this.#o.aibotId) {
      throw new WeComRequestError('bad_request', 'callback is for another aibotid');
    }
    // An identical request (same timestamp, nonce, signature) inside the window is a replay or a
    // re-delivery. A message with a msgid is caught by msgid dedup (which also hands a re-delivered
    // message its stream again); the replay mark covers the rest: stream refreshes and callbacks
    // without a msgid.
    if (
      (parsed.type === 'stream' || !parsed.msgid) &&
      !(await this.#firstSighting(`${timestamp}:${nonce}:${signature}`))
    ) {
      this.#logger.debug('repeated callback acknowledged without dispatch', { timestamp, nonce });
      return this.#ack(signed);
    }
    if (parsed.type === 'stream') return this.#answerRefresh(parsed, signed);
    return this.#dispatchInbound(parsed, signed, rc);
  }

  async #firstSighting(id: string): Promise<boolean> {
    const ttlMs = this.#o.timestampWindow === false ? this.#o.dedupTtlMs : this.#o.timestampWindow * 2000;
    try {
      return await this.#store.setIfAbsent(`replay:${id}`, '1', { ttlMs });
    } catch (error) {
      this.#logger.warn('replay cache failed; continuing (fail-open, msgid dedup still applies)', { error });
      return true;
    }
  }

  #aibotid(message: { aibotid: string }): string {
    return message.aibotid || this.#o.aibotId || '';
  }

  async #answerRefresh(refresh: StreamRefresh, signed: Signed): Promise<WeComResponse> {
    const aibotid = this.#aibotid(refresh);
    let state: Awaited<ReturnType<typeof loadStream>>;
    try {
      state = await loadStream(this.#store, aibotid, refresh.streamId);
    } catch (error) {
      await this.#emitError(error, { phase: 'store', msgid: refresh.msgid, type: 'stream' });
    }
    if (!state) {
      this.#logger.warn('stream refresh for an unknown or expired stream; acknowledged', {
        streamId: refresh.streamId,
      });
      return this.#ack(signed);
    }
    const response = await this.#passive(streamFrame(state), signed);
    if (state.finish && !state.handedOver) {
      await this.#report({
        ok: true,
        channel: 'passive',
        kind: 'stream',
        msgid: state.msgid,
        chatId: state.chatId,
        streamId: state.id,
        finish: true,
        ...(state.truncated ? { truncated: true } : {}),
      });
    }
    return response;
  }

  async #dispatchInbound(message: BotInbound, signed: Signed, rc: ReceiveContext): Promise<WeComResponse> {
    const o = this.#o;
    if (o.allowFrom.size > 0 && !o.allowFrom.has(message.userId)) {
      this.#logger.info('sender not in allowFrom; acknowledged without dispatch', {
        userId: message.userId,
        type: message.type,
      });
      return this.#ack(signed);
    }
    const aibotid = this.#aibotid(message);
    if (message.msgid) {
      if (!(await this.#dedup.first(`${aibotid}:${message.msgid}`))) {
        this.#logger.debug('duplicate message acknowledged without dispatch', { msgid: message.msgid });
        return this.#answerDuplicate(aibotid, message.msgid, signed);
      }
    } else {
      this.#logger.warn('callback without msgid: cannot be deduplicated', { type: message.type });
    }
    const receivedAt = o.now();
    if (message.response_url && message.msgid) {
      const target = {
        url: message.response_url,
        msgid: message.msgid,
        chatId: message.chatId,
        chattype: message.chattype,
        aibotid,
        at: receivedAt,
      };
      try {
        await this.#targets.remember(target);
      } catch (error) {
        await this.#emitError(error, { phase: 'store', msgid: message.msgid, type: message.type });
      }
      void this.#tasks.run(this.#targets.indexChat(target), rc.waitUntil);
    }
    const exchange = new Exchange({
      message,
      receivedAt,
      services: this.#services(message, aibotid, receivedAt),
      waitUntil: rc.waitUntil,
    });
    const done = this.#runListeners(message, exchange).catch((error: unknown) => {
      this.#logger.error('dispatch failed', { error, msgid: message.msgid });
    });
    void this.#tasks.run(done, rc.waitUntil);
    await raceDeadline(Promise.race([done, exchange.chosen]), o.deadlineMs);
    const passive = await exchange.close();
    if (!passive) return this.#ack(signed);
    const response = await this.#passive(passive.body, signed);
    await this.#report(passive.delivered);
    return response;
  }

  #services(message: BotInbound, aibotid: string, receivedAt: number): ExchangeServices {
    const o = this.#o;
    return {
      outbox: this.#outbox,
      tasks: this.#tasks,
      marker: o.truncationMarker,
      report: (result) => this.#report(result),
      download: (source) => this.downloadMedia(source),
      writerOptions: ({ id, passive }) => ({
        id,
        passive,
        aibotid,
        msgid: message.msgid,
        chatId: message.chatId,
        startedAt: receivedAt,
        windowMs: o.streamWindowMs,
        store: this.#store,
        marker: o.truncationMarker,
        now: o.now,
        logger: this.#logger,
        onError: (error) =>
          void this.#emitError(error, { phase: 'stream', msgid: message.msgid, type: message.type }),
      }),
      rememberStream: async (streamId) => {
        if (!message.msgid) return;
        await this.#store
          .set(`msgstream:${aibotid}:${message.msgid}`, streamId, { ttlMs: o.dedupTtlMs })
          .catch((error: unknown) =>
            this.#logger.warn('could not remember the stream of a message', { error }),
          );
      },
    };
  }

  async #runListeners(message: BotInbound, exchange: Exchange): Promise<void> {
    const { count, errors } = await this.#call([message.type, 'message'], [message, exchange.context]);
    if (count === 0) {
      this.#logger.info('no listener for this callback; acknowledged', {
        type: message.type,
        msgid: message.msgid,
      });
    }
    for (const error of errors)
      await this.#emitError(error, { phase: 'listener', msgid: message.msgid, type: message.type });
    const writer = exchange.writer;
    // A listener that failed mid-stream would leave WeCom polling a spinner for six minutes.
    if (errors.length > 0 && writer && !writer.finished) await writer.finish();
  }

  /** A re-delivered message whose first copy started a stream gets that stream again, else an ack. */
  async #answerDuplicate(aibotid: string, msgid: string, signed: Signed): Promise<WeComResponse> {
    try {
      const streamId = await this.#store.get(`msgstream:${aibotid}:${msgid}`);
      const state = streamId ? await loadStream(this.#store, aibotid, streamId) : undefined;
      if (state) return await this.#passive(streamFrame(state), signed);
    } catch (error) {
      this.#logger.warn('could not look up the stream of a duplicate', { error });
    }
    return this.#ack(signed);
  }

  async #passive(body: PassiveBody, signed: Signed): Promise<WeComResponse> {
    const text = await this.#crypto.encryptReply(JSON.stringify(body), {
      format: 'json',
      nonce: signed.nonce,
      timestamp: signed.timestamp,
    });
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: text };
  }

  /** 'empty': WeCom's documented no-reply. 'success': the reference gateway's envelope around the JSON string "success". */
  #ack(signed: Signed): Promise<WeComResponse> | WeComResponse {
    if (this.#o.ack === 'empty') return emptyResponse();
    return this.#passive('success' as unknown as PassiveBody, signed);
  }

  async #resolveTarget(
    ref: ReplyTargetRef,
    kind: 'markdown' | 'template_card',
  ): Promise<{ ok: true; target: ReplyTarget } | { ok: false; result: DeliveryResult }> {
    let target: ReplyTarget | undefined;
    const where = ref && typeof ref === 'object' ? ref : ({} as Partial<{ msgid: string; chatId: string }>);
    const msgid = 'msgid' in where ? where.msgid : undefined;
    const chatId = 'chatId' in where ? where.chatId : undefined;
    if (typeof msgid !== 'string' && typeof chatId !== 'string') {
      throw new WeComBotError('invalid_reply', 'reply target must be { msgid } or { chatId }');
    }
    try {
      target =
        typeof msgid === 'string'
          ? await this.#targets.byMsgid(msgid)
          : await this.#targets.byChat(chatId!, (url) => this.#outbox.isUsed(url));
    } catch (cause) {
      const error = new WeComBotError(
        'store_unavailable',
        'the Store failed while looking up the reply target',
        {
          cause,
        },
      );
      const at = typeof msgid === 'string' ? { msgid } : { chatId: chatId! };
      return { ok: false, result: await this.#outbox.fail(at, { kind }, 'store_error', error) };
    }
    if (target) return { ok: true, target };
    const error = new WeComBotError(
      'unknown_reply_target',
      typeof msgid === 'string'
        ? 'no response_url is remembered for this msgid (unknown, expired, or the message had none)'
        : 'no unused response_url is remembered for this chat',
    );
    await this.#outbox.fail(
      typeof msgid === 'string' ? { msgid } : { chatId: chatId! },
      { kind },
      'no_target',
      error,
    );
    throw error;
  }

  #outboxTarget(t: ReplyTarget) {
    return { url: t.url, msgid: t.msgid, chatId: t.chatId };
  }

  async #onClose(timeoutMs: number): Promise<void> {
    const left = await this.#tasks.drain(timeoutMs);
    this.#outbox.close();
    if (left > 0) {
      this.#logger.warn('closing with background work still running; in-flight replies were aborted', {
        left,
      });
      await this.#tasks.drain(Math.min(timeoutMs, 2000));
    }
  }

  /** Redacted: the token and key never reach logs through inspection. */
  toJSON(): Record<string, unknown> {
    return {
      type: 'WeComBot',
      aibotId: this.#o.aibotId,
      paths: this.#o.paths,
      capabilities: this.capabilities,
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `WeComBot ${JSON.stringify(this.toJSON())}`;
  }
}

/** `new WeComBot(options)`. */
export function createWeComBot(options: WeComBotOptions): WeComBot {
  return new WeComBot(options);
}

export type { BotContext };
