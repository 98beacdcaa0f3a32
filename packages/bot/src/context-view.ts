/**
 * What each callback may take passively, and the public context object over an `Exchange` (only
 * the methods a listener calls; the exchange keeps the state).
 */

import type { Exchange } from './context.js';
import type { BotContext } from './context-types.js';
import type { ReplyKind } from './delivery.js';
import type { BotCallback } from './types.js';

const ENTER_CHAT_KINDS: ReadonlySet<ReplyKind> = new Set(['text', 'template_card']);
const CARD_EVENT_KINDS: ReadonlySet<ReplyKind> = new Set(['update_template_card']);
const NO_KINDS: ReadonlySet<ReplyKind> = new Set();
const MESSAGE_KINDS: ReadonlySet<ReplyKind> = new Set([
  'stream',
  'stream_with_template_card',
  'template_card',
]);

export function passiveKindsOf(message: BotCallback): ReadonlySet<ReplyKind> {
  switch (message.type) {
    case 'event.enter_chat':
      return ENTER_CHAT_KINDS;
    case 'event.template_card_event':
      return CARD_EVENT_KINDS;
    case 'event.feedback_event':
      return NO_KINDS;
    default:
      return MESSAGE_KINDS;
  }
}

export function createContext(x: Exchange): BotContext {
  const m = x.message;
  return {
    message: m,
    msgId: m.msgId,
    chatId: m.chatId,
    userId: m.userId,
    receivedAt: x.receivedAt,
    get passiveOpen() {
      return x.passiveOpen;
    },
    waitUntil: (promise) => x.waitUntil(promise),
    downloadMedia: (source) => x.downloadMedia(source),
    downloadMediaStream: (source, call) => x.downloadMediaStream(source, call),
    downloadAllMedia: () => x.downloadAllMedia(),
    reply: (markdown, options) => x.reply(markdown, options),
    stream: (options) => x.stream(options),
    replyCard: (card) => x.replyCard(card),
    welcome: (textOrCard) => x.welcome(textOrCard),
    updateCard: (card, userids) => x.updateCard(card, userids),
  };
}
