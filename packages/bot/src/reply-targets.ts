/**
 * Where active replies go: each message's own response_url, kept on the Store for its one-hour
 * life, plus a short per-chat list of recent messages used only when the caller names a chat and
 * not a message (the reference gateway kept just "the latest URL of the chat" and replied to the
 * wrong message in busy groups).
 */
import type { Logger, Store } from '@maven/wecom-core';
import type { ChatType } from './types.js';

export interface ReplyTarget {
  url: string;
  msgid: string;
  chatId: string;
  chattype: ChatType;
  aibotid: string;
  /** When the message arrived (ms). */
  at: number;
}

interface ChatEntry {
  msgid: string;
  at: number;
}

/** Recent messages remembered per chat for the chat-level fallback. */
const CHAT_HISTORY = 10;

function parse<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export class ReplyTargets {
  readonly #store: Store;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #logger: Logger;

  constructor(options: { store: Store; ttlMs: number; now: () => number; logger: Logger }) {
    this.#store = options.store;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
    this.#logger = options.logger;
  }

  /** Remembers a message's response_url; throws only if the per-message write fails. */
  async remember(target: ReplyTarget): Promise<void> {
    await this.#store.set(`target:${target.msgid}`, JSON.stringify(target), { ttlMs: this.#ttlMs });
    const key = `chat:${target.chatId}`;
    // Read-modify-write fenced by compareAndSet: concurrent messages of one chat (or replicas) never lose an entry.
    for (let attempt = 0; attempt < 8; attempt++) {
      const current = await this.#store.get(key);
      const now = this.#now();
      const list = (parse<ChatEntry[]>(current) ?? []).filter(
        (e) => e.msgid !== target.msgid && e.at + this.#ttlMs > now,
      );
      list.push({ msgid: target.msgid, at: target.at });
      const next = JSON.stringify(list.slice(-CHAT_HISTORY));
      if (await this.#store.compareAndSet(key, current, next, { ttlMs: this.#ttlMs })) return;
    }
    this.#logger.warn('could not update the chat reply index (contention); msgid replies still work', {
      msgid: target.msgid,
    });
  }

  async byMsgid(msgid: string): Promise<ReplyTarget | undefined> {
    const target = parse<ReplyTarget>(await this.#store.get(`target:${msgid}`));
    return target && target.at + this.#ttlMs > this.#now() ? target : undefined;
  }

  /** The newest message of the chat whose response_url is still unused and unexpired. */
  async byChat(chatId: string, isUsed: (url: string) => Promise<boolean>): Promise<ReplyTarget | undefined> {
    const list = parse<ChatEntry[]>(await this.#store.get(`chat:${chatId}`)) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const target = await this.byMsgid(list[i]!.msgid);
      if (target && !(await isUsed(target.url))) return target;
    }
    return undefined;
  }
}
