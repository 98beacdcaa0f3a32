/**
 * What the AI bot tells the shared inbound pipeline (@maven/wecom-core): a JSON envelope opened
 * with the bot's one key, the typed callback, its dedup key (aibotid + msgId), the allowlist,
 * stream refreshes answered from the Store, and the encrypted JSON passive reply.
 */
import {
  emptyResponse,
  type InboundHooks,
  isWeComError,
  type Logger,
  type PassiveChoice,
  type ReceiveContext,
  type SignedQuery,
  type Store,
  type TaskTracker,
  WeComRequestError,
  type WeComResponse,
} from '@maven/wecom-core';
import { type WeComCrypto, WeComCryptoError } from '@maven/wecom-crypto';
import { Exchange, type ExchangeServices } from './context.js';
import type { BotContext } from './context-types.js';
import type { DeliveryResult } from './delivery.js';
import type { ErrorInfo } from './events.js';
import type { ResolvedOptions } from './options.js';
import { parseCallback, type StreamRefresh } from './parse.js';
import { type PassiveBody, streamFrame } from './payloads.js';
import type { ReplyTargets } from './reply-targets.js';
import { loadStream } from './stream.js';
import type { BotCallback } from './types.js';

type Parsed = BotCallback | StreamRefresh;

export interface BotStepsInit {
  options: ResolvedOptions;
  crypto: WeComCrypto;
  store: Store;
  logger: Logger;
  tasks: TaskTracker;
  targets: ReplyTargets;
  report(result: DeliveryResult): Promise<void>;
  emitError(error: unknown, info: ErrorInfo): Promise<void>;
  /** The context's services for one message. */
  services(message: BotCallback, aibotid: string, receivedAt: number): ExchangeServices;
}

/** The bot has one app: itself. */
type App = null;

export class BotSteps implements InboundHooks<App, string, Parsed, PassiveBody, BotContext> {
  readonly #i: BotStepsInit;

  constructor(init: BotStepsInit) {
    this.#i = init;
  }

  verifyUrl(query: SignedQuery & { echostr: string }): Promise<string> {
    return this.#i.crypto.verifyUrl(query);
  }

  async open(query: SignedQuery, request: { body: string }): Promise<{ app: App; decrypted: string }> {
    const decrypted = await this.#i.crypto
      .decryptCallback({ ...query, body: request.body, format: 'json' })
      .catch((error: unknown) => {
        if (isWeComError(error) && error.code === 'receive_id_mismatch') {
          throw new WeComCryptoError(
            'receive_id_mismatch',
            "the frame's receiveId is not the one expected (the AI bot's is ''; a deployment whose frames carry another id sets receiveId to it, or false to skip the check)",
            { cause: error },
          );
        }
        throw error;
      });
    if (this.#i.options.receiveId === undefined && decrypted.receiveId !== '') {
      this.#i.logger.debug('callback receiveId is not empty (not checked: receiveId is false)', {
        receiveId: decrypted.receiveId,
      });
    }
    return { app: null, decrypted: decrypted.message };
  }

  parse(plaintext: string): Parsed {
    let json: unknown;
    try {
      json = JSON.parse(plaintext);
    } catch (cause) {
      throw new WeComRequestError('bad_request', 'decrypted message is not JSON', { cause });
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new WeComRequestError('bad_request', 'decrypted message is not a JSON object');
    }
    const parsed = parseCallback(json as Record<string, unknown>);
    const own = this.#i.options.aibotId;
    if (own !== undefined && parsed.aibotid !== '' && parsed.aibotid !== own) {
      throw new WeComRequestError('bad_request', 'callback is for another aibotid');
    }
    return parsed;
  }

  #aibotid(message: { aibotid: string }): string {
    return message.aibotid || this.#i.options.aibotId || '';
  }

  dedupKey(message: Parsed): string | undefined {
    // Stream refreshes repeat their message's msgId: the signed request's mark tells them apart.
    if (message.type === 'stream') return undefined;
    if (!message.msgId) {
      this.#i.logger.warn('callback without msgId: deduplicated by its signed request only', {
        type: message.type,
      });
      return undefined;
    }
    return `${this.#aibotid(message)}:${message.msgId}`;
  }

  describe(message: Parsed): { type: string; msgId?: string; chatId?: string } {
    const chatId = message.type === 'stream' ? undefined : message.chatId;
    return {
      type: message.type,
      ...(message.msgId ? { msgId: message.msgId } : {}),
      ...(chatId ? { chatId } : {}),
    };
  }

  eventNames(message: Parsed): readonly string[] {
    const type = message.type;
    if (type === 'unknown') return UNKNOWN_NAMES;
    return [type, type.startsWith('event.') ? 'event' : 'message', 'callback'];
  }

  isAllowed(message: Parsed): boolean {
    const allow = this.#i.options.allowFrom;
    return allow === undefined || allow.has('*') || allow.has(message.userId);
  }

  deniedInfo(message: Parsed): unknown {
    return { userId: message.userId, ...this.describe(message), callback: message };
  }

  duplicateInfo(message: Parsed, _app: App, key: string): unknown {
    return { key, ...this.describe(message), callback: message };
  }

  /** A stream refresh: WeCom polls for the stream's current frame; nothing is dispatched. */
  async answerEarly(message: Parsed): Promise<PassiveChoice<PassiveBody> | null | undefined> {
    if (message.type !== 'stream') return undefined;
    let state: Awaited<ReturnType<typeof loadStream>>;
    try {
      state = await loadStream(this.#i.store, this.#aibotid(message), message.streamId);
    } catch (error) {
      await this.#i.emitError(error, { phase: 'store', msgId: message.msgId, type: 'stream' });
    }
    if (!state) {
      this.#i.logger.warn('stream refresh for an unknown or expired stream; acknowledged', {
        streamId: message.streamId,
      });
      return null;
    }
    const s = state;
    return {
      reply: streamFrame(s),
      delivered: () =>
        s.finish && !s.handedOver
          ? this.#i.report({
              ok: true,
              channel: 'passive',
              kind: 'stream',
              msgId: s.msgId,
              chatId: s.chatId,
              streamId: s.id,
              finish: true,
              ...(s.truncated ? { truncated: true } : {}),
            })
          : undefined,
    };
  }

  /** A re-delivered message whose first copy started a stream gets that stream again. */
  async answerDuplicate(message: Parsed): Promise<PassiveChoice<PassiveBody> | undefined> {
    const aibotid = this.#aibotid(message);
    try {
      const streamId = await this.#i.store.get(`msgstream:${aibotid}:${message.msgId}`);
      const state = streamId ? await loadStream(this.#i.store, aibotid, streamId) : undefined;
      if (state) return { reply: streamFrame(state) };
    } catch (error) {
      this.#i.logger.warn('could not look up the stream of a duplicate', { error });
    }
    return undefined;
  }

  /** The message's response_url, on the Store before the listeners run (a reply by msgId needs it). */
  record(parsed: Parsed, _app: App, rc: ReceiveContext): Promise<void> | undefined {
    if (parsed.type === 'stream') return undefined;
    const message = parsed;
    if (!message.response_url || !message.msgId) return undefined;
    const target = {
      url: message.response_url,
      msgId: message.msgId,
      chatId: message.chatId,
      chattype: message.chattype,
      aibotid: this.#aibotid(message),
      at: this.#i.options.inbound.now(),
    };
    void this.#i.tasks.run(this.#i.targets.indexChat(target), rc.waitUntil);
    return this.#i.targets
      .remember(target)
      .catch((error: unknown) =>
        this.#i.emitError(error, { phase: 'store', msgId: message.msgId, type: message.type }),
      );
  }

  begin(parsed: Parsed, _app: App, rc: ReceiveContext): Exchange {
    const message = parsed as BotCallback;
    const receivedAt = this.#i.options.inbound.now();
    return new Exchange({
      message,
      receivedAt,
      services: this.#i.services(message, this.#aibotid(message), receivedAt),
      waitUntil: rc.waitUntil,
    });
  }

  async settled(exchange: Exchange, run: { errors: unknown[] }): Promise<void> {
    const writer = exchange.writer;
    // A listener that failed mid-stream would leave WeCom polling a spinner for six minutes.
    if (run.errors.length > 0 && writer && !writer.finished) await writer.finish();
  }

  async render(body: PassiveBody, _app: App, query: SignedQuery): Promise<WeComResponse> {
    const text = await this.#i.crypto.encryptReply(JSON.stringify(body), {
      format: 'json',
      nonce: query.nonce,
      timestamp: query.timestamp,
    });
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: text };
  }

  /** 'empty': WeCom's documented no-reply. 'success': the reference gateway's envelope around the JSON string "success". */
  acknowledge(app: App, query: SignedQuery): WeComResponse | Promise<WeComResponse> {
    if (this.#i.options.ack === 'empty') return emptyResponse();
    return this.render('success' as unknown as PassiveBody, app, query);
  }
}

const UNKNOWN_NAMES = Object.freeze(['unknown', 'callback']);
