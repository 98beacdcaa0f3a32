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
import type { ExchangeServices } from './context.js';
import type { BotContext, ReplyOptions } from './context-types.js';
import { type DeliveryResult, recordDelivery } from './delivery.js';
import { md5Hex } from './digest.js';
import { WeComBotError } from './errors.js';
import type { BotEvents, ErrorInfo } from './events.js';
import { LateReplies, type ReplyTargetRef } from './late-replies.js';
import { downloadMedia, type MediaFile, type MediaSource } from './media.js';
import { downloadMediaStream, type MediaStream, type MediaStreamOptions } from './media-stream.js';
import { type ResolvedOptions, resolveOptions, type WeComBotOptions } from './options.js';
import { ResponseUrlOutbox } from './outbox.js';
import { checkCard, checkFeedbackId } from './payloads.js';
import { ReplyTargets } from './reply-targets.js';
import { botServices } from './services.js';
import type { BotCallback, TemplateCard } from './types.js';
import { WsBotChannel } from './ws/bot-channel.js';
import type { WsConnection } from './ws/connection.js';
import { WeComWsError } from './ws/errors.js';
import type { WsLeader } from './ws/leader.js';
import type { ProactiveMessage, ProactiveSendOptions, SendOutcome } from './ws/proactive.js';
import type { WsUploadedMedia, WsUploadOptions } from './ws/upload.js';

/** What this channel can do, truthfully (hosts read it instead of guessing). */
export interface BotCapabilities {
  /** Webhook: no proactive send, only answers to a user's message. Long connection: `bot.send()`. */
  readonly reactiveOnly: boolean;
  readonly streaming: true;
  readonly templateCards: true;
  /** Media upload exists on the long connection only (`bot.uploadMedia()`). */
  readonly fileUpload: boolean;
  readonly transport: 'webhook' | 'websocket';
}

export class WeComBot extends WeComEndpoint<BotEvents> {
  readonly capabilities: BotCapabilities;
  readonly #o: ResolvedOptions;
  readonly #crypto: WeComCrypto;
  readonly #store: Store;
  readonly #http: HttpClient;
  readonly #logger: Logger;
  readonly #tasks = new TaskTracker();
  readonly #targets: ReplyTargets;
  readonly #outbox: ResponseUrlOutbox;
  readonly #ws: WsBotChannel | undefined;
  readonly #late: LateReplies;

  constructor(options: WeComBotOptions) {
    super();
    const o = resolveOptions(options);
    registerSecret(o.token);
    registerSecret(o.encodingAESKey);
    this.#o = o;
    const ws = o.connection !== undefined;
    this.capabilities = Object.freeze({
      reactiveOnly: !ws,
      streaming: true,
      templateCards: true,
      fileUpload: ws,
      transport: ws ? 'websocket' : 'webhook',
    });
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
    const scope =
      o.aibotId ?? o.connection?.connection.botId ?? md5Hex(`${o.token}\n${o.encodingAESKey}`).slice(0, 16);
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
    const pipeline = new InboundPipeline({
      hooks: steps,
      emitter: this,
      options: o.inbound,
      store: this.#store,
      logger: this.#logger,
      tasks: this.#tasks,
      paths: o.paths,
      onClose: (timeoutMs) => this.#onClose(timeoutMs),
      spanAttributes: (message) => ({ 'wecom.kind': 'bot', 'wecom.msgtype': message.type }),
    });
    this.serveWith(pipeline.handler);
    // The long connection: frames enter the same pipeline step after "decryption" (they are plaintext).
    this.#ws =
      o.connection &&
      new WsBotChannel({
        connection: o.connection,
        store: this.#store,
        logger: this.#logger,
        parse: (text) => steps.parse(text),
        dedupKey: (message) => steps.dedupKey(message),
        process: (message, key, context) => pipeline.process(message, null, key, context),
        emitError: (error, info) => this.#emitError(error, info),
        report: (result) => this.#report(result),
      });
    this.#late = new LateReplies({
      outbox: this.#outbox,
      targets: this.#targets,
      ws: this.#ws,
      marker: o.truncationMarker,
    });
  }

  // ---- The long connection ------------------------------------------------------------------

  /** The transport in websocket mode (`WsConnection`, or `WsLeader` across replicas). */
  get connection(): WsConnection | WsLeader | undefined {
    return this.#ws?.transport;
  }

  /**
   * Websocket mode: connects (subscribes; with a leader lease, resolves on standby too) and rejects
   * with `WeComWsError` `subscribe_refused` for a wrong secret. Webhook mode: nothing to start.
   */
  async start(): Promise<void> {
    await this.#ws?.start();
  }

  /**
   * A proactive message (`aibot_send_msg`: markdown, template card in single chats, media by
   * media_id) to a user (single chat) or a group the user has written in. Queued per conversation
   * within 30/min and 1000/h. Webhook mode rejects with `WeComWsError` `not_connected`.
   */
  send(chatId: string, message: ProactiveMessage, options?: ProactiveSendOptions): Promise<SendOutcome> {
    if (!this.#ws) return Promise.reject(webhookOnly('send'));
    return this.#tasks.run(this.#ws.send(chatId, message, options));
  }

  /** Uploads media over the long connection → a media_id (3 days) for replies and sends. */
  uploadMedia(options: WsUploadOptions): Promise<WsUploadedMedia> {
    if (!this.#ws) return Promise.reject(webhookOnly('uploadMedia'));
    return this.#tasks.run(this.#ws.upload(options));
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
    return this.#tasks.run(this.#late.markdown(target, markdown, feedbackId));
  }

  /** A template card through a message's response_url (WeCom allows it in single chats only). */
  replyCard(target: ReplyTargetRef, card: TemplateCard): Promise<DeliveryResult> {
    const checked = checkCard(card, 'replyCard');
    return this.#tasks.run(this.#late.card(target, checked));
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
    const deps = {
      options: this.#o,
      store: this.#store,
      logger: this.#logger,
      tasks: this.#tasks,
      outbox: this.#outbox,
      report: (result: DeliveryResult) => this.#report(result),
      emitError: (error: unknown, info: ErrorInfo) => this.#emitError(error, info),
      download: (source: MediaSource) => this.downloadMedia(source),
      downloadStream: (source: MediaSource, call?: MediaStreamOptions) =>
        this.downloadMediaStream(source, call),
    };
    return botServices(deps, message, aibotid, receivedAt, this.#ws?.slotOf(message));
  }

  async #onClose(timeoutMs: number): Promise<void> {
    const left = await this.#tasks.drain(timeoutMs);
    await this.#ws?.close(Math.min(timeoutMs, 5000));
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

function webhookOnly(what: string): WeComWsError {
  return new WeComWsError(
    'not_connected',
    `${what} needs the long connection (connection.mode "websocket"); the webhook mode is reactive-only`,
  );
}

/** `new WeComBot(options)`. */
export function createWeComBot(options: WeComBotOptions): WeComBot {
  return new WeComBot(options);
}

export type { BotContext, ReplyTargetRef };
