/**
 * WeComBot: the AI bot (智能机器人) in API callback mode. One callback's walk: signature and
 * timestamp (crypto), replay check, decrypt, parse, allowFrom, dedup, remember the response_url,
 * dispatch to listeners racing the deadline, then a passive reply or an acknowledgement. Replies
 * that miss the deadline go out through the message's own response_url, tracked until settled.
 */
import {
  HttpClient,
  InboundPipeline,
  type Logger,
  notifyListeners,
  observedStore,
  prefixStore,
  registerSecret,
  reportError,
  type Store,
  TaskTracker,
  tracedFetch,
  WeComEndpoint,
} from '@maven/wecom-core';
import { WeComCrypto } from '@maven/wecom-crypto';
import { BotSteps } from './bot-steps.js';
import type { BotContext, ExchangeServices, ReplyOptions } from './context.js';
import { type DeliveryResult, recordDelivery } from './delivery.js';
import { md5Hex } from './digest.js';
import { WeComBotError } from './errors.js';
import type { BotEvents, ErrorInfo } from './events.js';
import { downloadMedia, type MediaFile, type MediaSource } from './media.js';
import { downloadMediaStream, type MediaStream, type MediaStreamOptions } from './media-stream.js';
import { type ResolvedOptions, resolveOptions, type WeComBotOptions } from './options.js';
import { ResponseUrlOutbox } from './outbox.js';
import { checkCard, checkFeedbackId, fitContent } from './payloads.js';
import { type ReplyTarget, ReplyTargets } from './reply-targets.js';
import type { BotCallback, TemplateCard } from './types.js';

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
export type ReplyTargetRef = { msgId: string } | { chatId: string };

export class WeComBot extends WeComEndpoint<BotEvents> {
  readonly capabilities: BotCapabilities = Object.freeze({
    reactiveOnly: true,
    streaming: true,
    templateCards: true,
    fileUpload: false,
  });
  readonly #o: ResolvedOptions;
  readonly #crypto: WeComCrypto;
  readonly #store: Store;
  readonly #http: HttpClient;
  readonly #logger: Logger;
  readonly #tasks = new TaskTracker();
  readonly #targets: ReplyTargets;
  readonly #outbox: ResponseUrlOutbox;

  constructor(options: WeComBotOptions) {
    super();
    const o = resolveOptions(options);
    registerSecret(o.token);
    registerSecret(o.encodingAESKey);
    this.#o = o;
    this.#logger = o.inbound.logger;
    this.#crypto = new WeComCrypto({
      token: o.token,
      encodingAESKey: o.encodingAESKey,
      ...(o.receiveId === undefined ? {} : { receiveId: o.receiveId }),
      timestampWindow: o.inbound.timestampWindow,
      now: o.inbound.now,
      maxBodyLength: o.inbound.maxBodyBytes,
    });
    // Keys are scoped per bot so several bots can share one Store; the scope is the same on every
    // replica of a bot (its aibotId, else a digest that reveals nothing usable about the key).
    const scope = o.aibotId ?? md5Hex(`${o.token}\n${o.encodingAESKey}`).slice(0, 16);
    this.#store = observedStore(prefixStore(o.store, `bot:${scope}:`));
    this.#http = new HttpClient({ ...o.http, fetch: tracedFetch(o.http?.fetch), logger: this.#logger });
    this.#targets = new ReplyTargets({
      store: this.#store,
      ttlMs: o.responseUrlTtlMs,
      now: o.inbound.now,
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
    const steps = new BotSteps({
      options: o,
      crypto: this.#crypto,
      store: this.#store,
      logger: this.#logger,
      tasks: this.#tasks,
      targets: this.#targets,
      report: (result) => this.#report(result),
      emitError: (error, info) => this.#emitError(error, info),
      services: (message, aibotid, receivedAt) => this.#services(message, aibotid, receivedAt),
    });
    this.serveWith(
      new InboundPipeline({
        hooks: steps,
        emitter: this,
        options: o.inbound,
        store: this.#store,
        logger: this.#logger,
        tasks: this.#tasks,
        paths: o.paths,
        onClose: (timeoutMs) => this.#onClose(timeoutMs),
        spanAttributes: (message) => ({ 'wecom.kind': 'bot', 'wecom.msgtype': message.type }),
      }).handler,
    );
  }

  // ---- Replies outside a handler -----------------------------------------------------------

  /**
   * Answers a message later (gateway style: the inbound went to a bus, the answer comes back).
   * `{ msgId }` uses that message's own response_url; `{ chatId }` the newest unused one of the
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

  /** The same as a stream decrypted on the fly (files up to WeCom's 100 MB, in bounded memory). */
  downloadMediaStream(source: MediaSource, call?: MediaStreamOptions): Promise<MediaStream> {
    const fetch = this.#o.http.fetch;
    return downloadMediaStream(
      source,
      { crypto: this.#crypto, options: this.#o.media, ...(fetch ? { fetch } : {}) },
      call,
    );
  }

  /**
   * For schedulers: this channel cannot deliver proactively. Logs the skip at WARN (an operator
   * must see a delivery that did not happen) and returns false, so callers can write
   * `if (!bot.skipProactive({ job })) continue;`.
   */
  skipProactive(details: Record<string, unknown> = {}): false {
    this.#logger.warn(
      'WeCom AI bot is reactive-only: proactive delivery skipped (use another channel for notifications)',
      details,
    );
    return false;
  }

  #emitError(error: unknown, info: ErrorInfo): Promise<void> {
    return reportError(this, this.#logger, error, info);
  }

  async #report(result: DeliveryResult): Promise<void> {
    recordDelivery(this.#logger, result);
    await notifyListeners(this, this.#logger, result.ok ? 'reply.delivered' : 'reply.failed', [result]);
  }

  #services(message: BotCallback, aibotid: string, receivedAt: number): ExchangeServices {
    const o = this.#o;
    return {
      outbox: this.#outbox,
      tasks: this.#tasks,
      marker: o.truncationMarker,
      report: (result) => this.#report(result),
      download: (source) => this.downloadMedia(source),
      downloadStream: (source, call) => this.downloadMediaStream(source, call),
      writerOptions: ({ id, passive }) => ({
        id,
        passive,
        aibotid,
        msgId: message.msgId,
        chatId: message.chatId,
        startedAt: receivedAt,
        windowMs: o.streamWindowMs,
        store: this.#store,
        marker: o.truncationMarker,
        now: o.inbound.now,
        logger: this.#logger,
        onError: (error) =>
          void this.#emitError(error, { phase: 'stream', msgId: message.msgId, type: message.type }),
      }),
      rememberStream: async (streamId) => {
        if (!message.msgId) return;
        await this.#store
          .set(`msgstream:${aibotid}:${message.msgId}`, streamId, { ttlMs: o.inbound.dedupTtlMs })
          .catch((error: unknown) =>
            this.#logger.warn('could not remember the stream of a message', { error }),
          );
      },
    };
  }

  async #resolveTarget(
    ref: ReplyTargetRef,
    kind: 'markdown' | 'template_card',
  ): Promise<{ ok: true; target: ReplyTarget } | { ok: false; result: DeliveryResult }> {
    let target: ReplyTarget | undefined;
    const where = ref && typeof ref === 'object' ? ref : ({} as Partial<{ msgId: string; chatId: string }>);
    const msgId = 'msgId' in where ? where.msgId : undefined;
    const chatId = 'chatId' in where ? where.chatId : undefined;
    if (typeof msgId !== 'string' && typeof chatId !== 'string') {
      throw new WeComBotError('invalid_reply', 'reply target must be { msgId } or { chatId }');
    }
    try {
      target =
        typeof msgId === 'string'
          ? await this.#targets.byMsgid(msgId)
          : await this.#targets.byChat(chatId!, (url) => this.#outbox.isUsed(url));
    } catch (cause) {
      const error = new WeComBotError(
        'store_unavailable',
        'the Store failed while looking up the reply target',
        {
          cause,
        },
      );
      const at = typeof msgId === 'string' ? { msgId } : { chatId: chatId! };
      return { ok: false, result: await this.#outbox.fail(at, { kind }, 'store_error', error) };
    }
    if (target) return { ok: true, target };
    const error = new WeComBotError(
      'unknown_reply_target',
      typeof msgId === 'string'
        ? 'no response_url is remembered for this msgId (unknown, expired, or the message had none)'
        : 'no unused response_url is remembered for this chat',
    );
    await this.#outbox.fail(
      typeof msgId === 'string' ? { msgId } : { chatId: chatId! },
      { kind },
      'no_target',
      error,
    );
    throw error;
  }

  #outboxTarget(t: ReplyTarget) {
    return { url: t.url, msgId: t.msgId, chatId: t.chatId };
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
