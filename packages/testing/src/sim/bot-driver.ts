/** Drives an AI-bot webhook the way WeCom does: URL verification, callbacks, stream refreshes, events. */

import { checkKeys, requireString } from '@maven/wecom-core';
import { WeComConfigError } from '@maven/wecom-crypto';
import {
  type BotEventType,
  type BotMessage,
  type BotMessageOptions,
  botEvent,
  botStreamRefresh,
  botText,
  carriesResponseUrl,
} from '../bot-messages.js';
import { buildBotCallback, buildBotVerification } from '../builders.js';
import { createCodec } from '../codec.js';
import { type BotReply, openBotReply } from '../replies.js';
import {
  type DeliveryAttempt,
  type DeliveryOptions,
  deliver,
  type VerifyResult,
  verifyUrl,
} from './delivery.js';
import type { ResponseUrlOptions } from './response-urls.js';

export interface BotDriverOptions {
  token: string;
  encodingAESKey: string;
  /** Filled into messages that have none. Default: the factories' `aibot-sim`. */
  aibotid?: string;
  /** Default `''`. */
  receiveId?: string;
  /** Timeout of a URL-verification GET. Default 1000 (WeCom's limit). */
  verifyTimeoutMs?: number;
}

export interface BotSendOptions extends DeliveryOptions {
  /** Throw when a reply cannot be verified/decrypted (default true); false reports it in `replyError`. */
  strictReply?: boolean;
}

export interface BotSendResult {
  status: number;
  body: string;
  /** The decrypted reply, or null for an empty body / no answer. */
  reply: BotReply | null;
  replyError?: Error;
  deliveries: number;
  attempts: DeliveryAttempt[];
  /** The response_url the callback carried (auto-filled from the simulator when absent). */
  responseUrl: string | undefined;
  /** The message as delivered. */
  message: BotMessage;
}

export interface PollStreamOptions {
  /** Pause between refresh callbacks. Default 300. */
  intervalMs?: number;
  /** Refresh callbacks at most. Default 20. */
  maxPolls?: number;
  /** Stop after this long since the first poll (WeCom: 6 minutes from the user's message). Default 360000. */
  windowMs?: number;
  /** Sender/chat of the refresh callbacks (should match the original message). */
  message?: BotMessageOptions;
  /** Per-refresh delivery options (default: one delivery, 5 s). */
  delivery?: DeliveryOptions;
}

export interface PollStreamResult {
  /** Every decrypted reply, in order. */
  frames: BotReply[];
  /** The last frame's stream content. */
  content: string | undefined;
  finished: boolean;
  polls: number;
}

export interface DriverHost {
  createResponseUrl(options?: ResponseUrlOptions): string;
}

const KEYS = ['token', 'encodingAESKey', 'aibotid', 'receiveId', 'verifyTimeoutMs'] as const;
const SEND_KEYS = ['redeliver', 'redeliverAfterMs', 'maxDeliveries', 'strictReply'] as const;

export class BotDriver {
  readonly #token: string;
  readonly #key: string;
  readonly #receiveId: string;
  readonly #aibotid: string | undefined;
  readonly #verifyTimeoutMs: number;

  constructor(
    private readonly host: DriverHost,
    options: BotDriverOptions,
  ) {
    checkKeys('sim.bot', options, KEYS);
    this.#token = requireString('sim.bot', 'token', options.token);
    this.#receiveId = options.receiveId ?? '';
    // Validates the key eagerly.
    createCodec({ token: this.#token, encodingAESKey: options.encodingAESKey, receiveId: this.#receiveId });
    this.#key = options.encodingAESKey;
    this.#aibotid = options.aibotid;
    this.#verifyTimeoutMs = options.verifyTimeoutMs ?? 1000;
  }

  toJSON(): Record<string, unknown> {
    return { token: '[redacted]', encodingAESKey: '[redacted]', aibotid: this.#aibotid };
  }

  async verify(webhookUrl: string, options: { echo?: string } = {}): Promise<VerifyResult> {
    const req = buildBotVerification({
      token: this.#token,
      encodingAESKey: this.#key,
      receiveId: this.#receiveId,
      ...(options.echo === undefined ? {} : { echo: options.echo }),
    });
    return verifyUrl(webhookUrl, req, this.#verifyTimeoutMs);
  }

  /** A message object, or text content for a `botText`. */
  async send(
    webhookUrl: string,
    message: BotMessage | Record<string, unknown> | string,
    options: BotSendOptions = {},
  ): Promise<BotSendResult> {
    checkKeys('send', options, SEND_KEYS);
    const msg = this.#prepare(message);
    const single =
      msg.msgtype === 'event' &&
      (msg.event as { eventtype?: string } | undefined)?.eventtype === 'template_card_event';
    const outcome = await deliver(
      webhookUrl,
      () => {
        const built = buildBotCallback({
          token: this.#token,
          encodingAESKey: this.#key,
          receiveId: this.#receiveId,
          message: msg,
        });
        return { search: built.search, body: built.body, nonce: built.nonce };
      },
      'application/json',
      options,
      !single,
    );
    const result: BotSendResult = {
      status: outcome.response?.status ?? 0,
      body: outcome.response?.text ?? '',
      reply: null,
      deliveries: outcome.deliveries,
      attempts: outcome.attempts,
      responseUrl: typeof msg.response_url === 'string' ? msg.response_url : undefined,
      message: msg,
    };
    if (result.status === 200) {
      try {
        result.reply =
          openBotReply(result.body, {
            token: this.#token,
            encodingAESKey: this.#key,
            receiveId: this.#receiveId,
            expectNonce: outcome.nonce,
          })?.message ?? null;
      } catch (error) {
        if (options.strictReply !== false) throw error;
        result.replyError = error as Error;
      }
    }
    return result;
  }

  /** An event callback, e.g. `event(url, 'enter_chat')`. template_card_event is delivered once (documented). */
  event(
    webhookUrl: string,
    eventtype: BotEventType,
    fields: Record<string, unknown> = {},
    options: BotSendOptions & { message?: BotMessageOptions } = {},
  ): Promise<BotSendResult> {
    const { message, ...send } = options;
    return this.send(webhookUrl, botEvent(eventtype, fields, message ?? {}), send);
  }

  /** Sends stream-refresh callbacks until a reply has `stream.finish === true`. */
  async pollStream(
    webhookUrl: string,
    streamId: string,
    options: PollStreamOptions = {},
  ): Promise<PollStreamResult> {
    checkKeys('pollStream', options, ['intervalMs', 'maxPolls', 'windowMs', 'message', 'delivery']);
    if (typeof streamId !== 'string' || streamId.length === 0)
      throw new WeComConfigError('pollStream: streamId is required');
    const interval = options.intervalMs ?? 300;
    const maxPolls = options.maxPolls ?? 20;
    const windowMs = options.windowMs ?? 6 * 60 * 1000;
    const started = Date.now();
    const frames: BotReply[] = [];
    let polls = 0;
    let finished = false;
    while (polls < maxPolls && Date.now() - started <= windowMs) {
      if (polls > 0) await new Promise((r) => setTimeout(r, interval));
      polls += 1;
      const res = await this.send(webhookUrl, botStreamRefresh(streamId, options.message ?? {}), {
        redeliver: false,
        ...options.delivery,
      });
      if (res.reply !== null) {
        frames.push(res.reply);
        if (res.reply.stream?.finish === true) {
          finished = true;
          break;
        }
      }
    }
    return { frames, content: frames.at(-1)?.stream?.content, finished, polls };
  }

  #prepare(message: BotMessage | Record<string, unknown> | string): BotMessage {
    let msg: BotMessage;
    if (typeof message === 'string') {
      msg = botText({ content: message, ...(this.#aibotid === undefined ? {} : { aibotid: this.#aibotid }) });
    } else if (message !== null && typeof message === 'object' && typeof message.msgtype === 'string') {
      msg = { ...(message as BotMessage) };
    } else {
      throw new WeComConfigError('send: message must be a string or an object with a msgtype');
    }
    if (this.#aibotid !== undefined && msg.aibotid === undefined) msg.aibotid = this.#aibotid;
    if (msg.response_url === undefined && carriesResponseUrl(msg)) {
      msg.response_url = this.host.createResponseUrl({
        chattype: msg.chattype === 'group' ? 'group' : 'single',
      });
    }
    return msg;
  }
}
