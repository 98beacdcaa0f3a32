/**
 * `bot.reply()` / `bot.replyCard()` outside a handler: by a message's own response_url (webhook,
 * looked up on the Store by msgId or chat), or by the callback's req_id on the long connection.
 */

import type { DeliveryResult } from './delivery.js';
import { WeComBotError } from './errors.js';
import type { ResponseUrlOutbox } from './outbox.js';
import { fitContent } from './payloads.js';
import type { ReplyTarget, ReplyTargets } from './reply-targets.js';
import type { TemplateCard } from './types.js';
import type { WsBotChannel } from './ws/bot-channel.js';

/** Whom `bot.reply()` answers outside a handler: one message (preferred), or a chat's newest unused message. */
export type ReplyTargetRef = { msgId: string } | { chatId: string };

export interface LateRepliesInit {
  outbox: ResponseUrlOutbox;
  targets: ReplyTargets;
  ws: WsBotChannel | undefined;
  marker: string | undefined;
}

export class LateReplies {
  readonly #i: LateRepliesInit;

  constructor(init: LateRepliesInit) {
    this.#i = init;
  }

  async markdown(
    target: ReplyTargetRef,
    markdown: string,
    feedbackId: string | undefined,
  ): Promise<DeliveryResult> {
    const fit = fitContent(markdown, this.#i.marker);
    const payload = {
      msgtype: 'markdown' as const,
      markdown: { content: fit.text, ...(feedbackId ? { feedback: { id: feedbackId } } : {}) },
    };
    const meta = { kind: 'markdown' as const, ...(fit.truncated ? { truncated: true } : {}) };
    if (this.#i.ws) return (await this.#wsSlot(target, 'markdown')).late(payload, meta);
    const found = await this.#resolveTarget(target, 'markdown');
    if (!found.ok) return found.result;
    return this.#i.outbox.send(this.#outboxTarget(found.target), payload, meta);
  }

  async #wsSlot(target: ReplyTargetRef, kind: 'markdown' | 'template_card') {
    const slot = this.#i.ws!.slotFor(target as { msgId?: string; chatId?: string });
    if (slot) return slot;
    const error = new WeComBotError(
      'unknown_reply_target',
      'no callback of this connection is remembered for this msgId or chat',
    );
    await this.#i.outbox.fail(target as { msgId?: string; chatId?: string }, { kind }, 'no_target', error);
    throw error;
  }

  async card(target: ReplyTargetRef, checked: TemplateCard): Promise<DeliveryResult> {
    if (this.#i.ws) {
      const slot = await this.#wsSlot(target, 'template_card');
      return slot.late({ msgtype: 'template_card', template_card: checked }, { kind: 'template_card' });
    }
    const found = await this.#resolveTarget(target, 'template_card');
    if (!found.ok) return found.result;
    if (found.target.chattype !== 'single') {
      const error = new WeComBotError(
        'reply_unsupported',
        'WeCom takes template cards via response_url in single chats only',
      );
      return this.#i.outbox.fail(
        this.#outboxTarget(found.target),
        { kind: 'template_card' },
        'unsupported',
        error,
      );
    }
    return this.#i.outbox.send(
      this.#outboxTarget(found.target),
      { msgtype: 'template_card', template_card: checked },
      { kind: 'template_card' },
    );
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
          ? await this.#i.targets.byMsgid(msgId)
          : await this.#i.targets.byChat(chatId!, (url) => this.#i.outbox.isUsed(url));
    } catch (cause) {
      const error = new WeComBotError(
        'store_unavailable',
        'the Store failed while looking up the reply target',
        {
          cause,
        },
      );
      const at = typeof msgId === 'string' ? { msgId } : { chatId: chatId! };
      return { ok: false, result: await this.#i.outbox.fail(at, { kind }, 'store_error', error) };
    }
    if (target) return { ok: true, target };
    const error = new WeComBotError(
      'unknown_reply_target',
      typeof msgId === 'string'
        ? 'no response_url is remembered for this msgId (unknown, expired, or the message had none)'
        : 'no unused response_url is remembered for this chat',
    );
    await this.#i.outbox.fail(
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
}
