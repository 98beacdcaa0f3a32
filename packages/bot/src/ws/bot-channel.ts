/**
 * `WeComBot` on the long connection. Each pushed callback frame (plaintext JSON) is parsed like a
 * decrypted webhook body and handed to the same pipeline step (`InboundPipeline.process`: allow →
 * dedup → dispatch → passive choice); the passive answer, a stream's snapshots and late replies go
 * back as frames under the callback's req_id (`WsReplySlot`). Proactive messages and media uploads
 * go over the same connection. One live connection across replicas via `WsLeader` when configured.
 */
import {
  isWeComError,
  type Logger,
  type PassiveChoice,
  type ReceiveContext,
  type Store,
} from '@maven/wecom-core';
import type { DeliveryResult } from '../delivery.js';
import type { ErrorInfo } from '../events.js';
import type { StreamRefresh } from '../parse.js';
import type { PassiveBody } from '../payloads.js';
import type { BotCallback } from '../types.js';
import type { ResolvedWsBotConnection } from './bot-options.js';
import { WsConnection } from './connection.js';
import { WeComWsError } from './errors.js';
import { WS_CMD, type WsCallbackFrame } from './frames.js';
import { WsLeader } from './leader.js';
import {
  type ProactiveMessage,
  ProactiveSender,
  type ProactiveSendOptions,
  type SendOutcome,
} from './proactive.js';
import { WsReplySlot } from './reply-slot.js';
import { uploadMedia, type WsUploadedMedia, type WsUploadOptions } from './upload.js';

type Parsed = BotCallback | StreamRefresh;

export interface WsBotChannelInit {
  connection: ResolvedWsBotConnection;
  /** The bot's (scoped) Store: the leader lease lives on it. */
  store: Store;
  logger: Logger;
  parse(plaintext: string): Parsed;
  dedupKey(message: Parsed): string | undefined;
  process(
    message: Parsed,
    key: string | undefined,
    context: ReceiveContext,
  ): Promise<PassiveChoice<PassiveBody> | undefined>;
  emitError(error: unknown, info: ErrorInfo): Promise<void>;
  report(result: DeliveryResult): Promise<void>;
}

/** Callbacks remembered for `bot.reply()` by msgId or chat (a req_id lives as long as its connection). */
const REMEMBERED = 2000;

function firstCmd(message: Parsed): string {
  if (message.type === 'event.enter_chat') return WS_CMD.respondWelcome;
  if (message.type === 'event.template_card_event') return WS_CMD.respondUpdate;
  return WS_CMD.respondMsg;
}

export class WsBotChannel {
  readonly transport: WsConnection | WsLeader;
  readonly #i: WsBotChannelInit;
  readonly #sender: ProactiveSender;
  readonly #slots = new WeakMap<object, WsReplySlot>();
  readonly #byMsg = new Map<string, WsReplySlot>();
  readonly #byChat = new Map<string, WsReplySlot>();
  readonly #inflight = new Set<Promise<void>>();

  constructor(init: WsBotChannelInit) {
    this.#i = init;
    const o = init.connection;
    const connection = { ...o.connection, logger: init.logger };
    this.transport = o.leader
      ? new WsLeader({ store: init.store, connection, logger: init.logger, ...o.leader })
      : new WsConnection(connection);
    this.transport.onCallback((frame) => this.#track(this.#onFrame(frame)));
    this.#sender = new ProactiveSender({ transport: this.transport, maxWaitMs: o.sendMaxWaitMs });
  }

  /** Connects. With a leader: resolves on standby, or once the leader's connection subscribed. */
  async start(): Promise<void> {
    const t = this.transport;
    await t.start();
    if (t instanceof WsLeader) await t.connection?.start();
  }

  /** The reply slot of a callback being handled (looked up by the context's services). */
  slotOf(message: object): WsReplySlot | undefined {
    return this.#slots.get(message);
  }

  /** The slot of a remembered message, or of a chat's newest message. */
  slotFor(target: { msgId?: string; chatId?: string }): WsReplySlot | undefined {
    if (typeof target.msgId === 'string') return this.#byMsg.get(target.msgId);
    return typeof target.chatId === 'string' ? this.#byChat.get(target.chatId) : undefined;
  }

  send(chatId: string, message: ProactiveMessage, options?: ProactiveSendOptions): Promise<SendOutcome> {
    return this.#sender.send(chatId, message, options);
  }

  upload(options: WsUploadOptions): Promise<WsUploadedMedia> {
    return uploadMedia(this.transport, options);
  }

  /** Waits for the callbacks in hand (their answers), then drains and closes the connection. */
  async close(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    await Promise.race([
      Promise.allSettled([...this.#inflight]),
      new Promise((r) => setTimeout(r, timeoutMs)),
    ]);
    await this.transport.close({ timeoutMs: Math.max(0, end - Date.now()) });
  }

  #track(work: Promise<void>): Promise<void> {
    this.#inflight.add(work);
    return work.finally(() => this.#inflight.delete(work));
  }

  async #onFrame(frame: WsCallbackFrame): Promise<void> {
    if (frame.cmd !== WS_CMD.msgCallback && frame.cmd !== WS_CMD.eventCallback) {
      this.#i.logger.debug('ws: a pushed command the bot does not handle', { cmd: frame.cmd });
      return;
    }
    let message: Parsed;
    try {
      message = this.#i.parse(JSON.stringify(frame.body));
    } catch (error) {
      this.#i.logger.warn('ws: a callback frame that is not a bot callback was ignored', {
        cmd: frame.cmd,
        error,
      });
      return;
    }
    const slot = new WsReplySlot({
      reqId: frame.reqId,
      cmd: firstCmd(message),
      msgId: message.msgId,
      chatId: message.type === 'stream' ? '' : message.chatId,
      transport: this.transport,
      report: (result) => this.#i.report(result),
    });
    this.#slots.set(message, slot);
    this.#remember(message, slot);
    // A callback without msgId is still one frame: its req_id keeps a repeated frame from running twice.
    const key = this.#i.dedupKey(message) ?? `req:${frame.reqId}`;
    let outcome: PassiveChoice<PassiveBody> | undefined;
    try {
      outcome = await this.#i.process(message, key, {});
    } catch (error) {
      if (isWeComError(error) && error.code === 'in_progress') {
        this.#i.logger.info('ws: a callback still being handled was pushed again; ignored', {
          msgId: message.msgId,
        });
      } else {
        await this.#i.emitError(error, { phase: 'reply', msgId: message.msgId, type: message.type });
      }
      return;
    }
    if (!outcome) {
      slot.unanswered();
      return;
    }
    try {
      await slot.answer(outcome.reply);
    } catch (error) {
      await outcome.failed?.(
        error instanceof WeComWsError
          ? error
          : new WeComWsError('ack_error', 'reply failed', { cause: error }),
      );
      return;
    }
    await outcome.delivered?.();
    await slot.idle();
  }

  #remember(message: Parsed, slot: WsReplySlot): void {
    if (message.type === 'stream' || !message.msgId || message.type.startsWith('event.')) return;
    this.#byMsg.set(message.msgId, slot);
    if (this.#byMsg.size > REMEMBERED) this.#byMsg.delete(this.#byMsg.keys().next().value as string);
    this.#byChat.delete(message.chatId);
    this.#byChat.set(message.chatId, slot);
    if (this.#byChat.size > REMEMBERED) this.#byChat.delete(this.#byChat.keys().next().value as string);
  }
}
