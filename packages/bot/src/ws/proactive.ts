/**
 * Proactive messages (`aibot_send_msg`, long connection only): markdown, template cards (single
 * chats) and media by media_id, to a conversation whose user has written to the bot before. Each
 * conversation's quota (30/min, 1000/h, shared with replies: count those with `note`) is kept
 * with a queue per conversation; a message that would wait longer than `maxWaitMs` is not queued
 * and comes back as `rate_limited`, as does WeCom's own 45009. Outcomes are values, not throws.
 *
 *   const sender = new ProactiveSender({ transport });           // WsConnection or WsLeader
 *   const outcome = await sender.send('zhangsan', { msgtype: 'markdown', markdown: { content: 'hi' } });
 */
import { WeComConfigError } from '@maven/wecom-core';
import { WeComWsError } from './errors.js';
import { WS_CMD, WS_ERRCODE, type WsAck } from './frames.js';
import { ConversationLimiter, type RateWindow, WS_CONVERSATION_LIMITS } from './rate-limit.js';
import type { WsTransport } from './transport.js';

const TYPES = new Set(['markdown', 'template_card', 'file', 'image', 'voice', 'video']);

export type ProactiveMessage = { msgtype: string } & Record<string, unknown>;

export interface ProactiveSendOptions {
  /** `single` (chatid is a userid) or `group`; absent: WeCom decides (group first). */
  chatType?: 'single' | 'group';
}

export type SendOutcome =
  | { status: 'sent'; ack: WsAck; waitedMs: number }
  | { status: 'rate_limited'; by: 'quota' | 'wecom'; retryAfterMs: number }
  | { status: 'failed'; error: WeComWsError };

export interface ProactiveSenderOptions {
  transport: Pick<WsTransport, 'send'>;
  /** Default 30 per minute and 1000 per hour per conversation. */
  limits?: readonly RateWindow[];
  /** Longest a message may wait in the queue; beyond it `rate_limited`. Default 60 000 ms. */
  maxWaitMs?: number;
  now?: () => number;
}

interface Queued {
  body: Record<string, unknown>;
  queuedAt: number;
  resolve: (outcome: SendOutcome) => void;
}

export class ProactiveSender {
  readonly #transport: Pick<WsTransport, 'send'>;
  readonly #limiter: ConversationLimiter;
  readonly #maxWaitMs: number;
  readonly #now: () => number;
  /** Messages waiting for quota (not yet counted), per conversation. */
  readonly #queues = new Map<string, Queued[]>();
  readonly #pumping = new Set<string>();

  constructor(options: ProactiveSenderOptions) {
    if (options?.transport === undefined || typeof options.transport.send !== 'function')
      throw new WeComConfigError('ProactiveSender: transport must have send()');
    this.#transport = options.transport;
    this.#now = options.now ?? Date.now;
    const limits = options.limits ?? WS_CONVERSATION_LIMITS;
    if (!limits.length || limits.some((l) => !(l.max >= 1) || !(l.windowMs > 0)))
      throw new WeComConfigError('ProactiveSender: limits must be { max ≥ 1, windowMs > 0 } windows');
    this.#limiter = new ConversationLimiter(limits, this.#now);
    this.#maxWaitMs = options.maxWaitMs ?? 60_000;
  }

  /** Messages waiting for quota, all conversations. */
  get queued(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.length;
    return n;
  }

  /** Counts a reply against the conversation's quota (replies and pushes share it). */
  note(chatId: string): void {
    this.#limiter.note(chatId);
  }

  send(chatId: string, message: ProactiveMessage, options: ProactiveSendOptions = {}): Promise<SendOutcome> {
    if (typeof chatId !== 'string' || chatId.length === 0)
      return Promise.resolve(failed('chatId must be a non-empty string'));
    if (message === null || typeof message !== 'object' || !TYPES.has(message.msgtype))
      return Promise.resolve(failed(`msgtype must be one of ${[...TYPES].join(', ')}`));
    if (message.msgtype === 'template_card' && options.chatType === 'group')
      return Promise.resolve(failed('template cards can only be pushed to single chats'));
    const queue = this.#queues.get(chatId) ?? [];
    const waitMs = this.#limiter.delayFor(chatId, queue.length + 1);
    if (waitMs > this.#maxWaitMs) {
      return Promise.resolve({ status: 'rate_limited', by: 'quota', retryAfterMs: waitMs });
    }
    const body: Record<string, unknown> = { chatid: chatId, ...message };
    if (options.chatType !== undefined) body.chat_type = options.chatType === 'single' ? 1 : 2;
    return new Promise((resolve) => {
      queue.push({ body, queuedAt: this.#now(), resolve });
      this.#queues.set(chatId, queue);
      if (!this.#pumping.has(chatId)) void this.#pump(chatId, queue);
    });
  }

  /** Sends the conversation's queue in order, each message once its quota allows. */
  async #pump(chatId: string, queue: Queued[]): Promise<void> {
    this.#pumping.add(chatId);
    try {
      while (queue.length > 0) {
        const delay = this.#limiter.delayFor(chatId);
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        const item = queue.shift()!;
        this.#limiter.note(chatId);
        item.resolve(await this.#sendOne(item));
      }
    } finally {
      this.#pumping.delete(chatId);
      if (queue.length === 0 && this.#queues.get(chatId) === queue) this.#queues.delete(chatId);
    }
  }

  async #sendOne(item: Queued): Promise<SendOutcome> {
    try {
      const ack = await this.#transport.send(WS_CMD.sendMsg, item.body);
      return { status: 'sent', ack, waitedMs: this.#now() - item.queuedAt };
    } catch (error) {
      const e =
        error instanceof WeComWsError
          ? error
          : new WeComWsError('ack_error', 'aibot_send_msg failed', { cause: error });
      if (e.errcode === WS_ERRCODE.freqLimit)
        return { status: 'rate_limited', by: 'wecom', retryAfterMs: 60_000 };
      return { status: 'failed', error: e };
    }
  }
}

function failed(message: string): SendOutcome {
  return { status: 'failed', error: new WeComWsError('invalid_request', message) };
}
