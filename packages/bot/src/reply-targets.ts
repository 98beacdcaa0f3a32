/**
 * Where active replies go: each message's own response_url, kept on the Store for its one-hour
 * life, plus a short per-chat list of recent messages used only when the caller names a chat and
 * not a message (keeping only the latest URL of a chat would answer the wrong message in busy
 * groups).
 */
import { appendLine, type Logger, type Store } from '@maven/wecom-core';
import { responseUrlOf } from './outbox.js';
import type { ChatType } from './types.js';

export interface ReplyTarget {
  url: string;
  msgId: string;
  chatId: string;
  chattype: ChatType;
  aibotid: string;
  /** When the message arrived (ms). */
  at: number;
}

interface ChatEntry {
  msgId: string;
  at: number;
}

/** Recent messages remembered per chat for the chat-level fallback. */
const CHAT_HISTORY = 10;
/** Targets also kept in this process, so a reply by msgId still works while the Store is down. */
const LOCAL_TARGETS = 2000;

/**
 * The chat index is one line per message, oldest first: `<arrival ms> <msgId>`, appended in one
 * Store step (`appendLine`) and trimmed to the newest CHAT_HISTORY lines. A re-delivered message
 * may appear twice; readers skip repeats and expired lines. Returns the entries, oldest first;
 * malformed lines are skipped.
 */
function readChat(text: string | undefined): ChatEntry[] {
  if (!text) return [];
  const entries: ChatEntry[] = [];
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    const at = Number(line.slice(0, space));
    if (space > 0 && Number.isFinite(at)) entries.push({ at, msgId: line.slice(space + 1) });
  }
  return entries;
}

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
  readonly #local = new Map<string, ReplyTarget>();
  /** Chat index updates still running in this process, by chat. */
  readonly #indexing = new Map<string, Promise<void>>();

  constructor(options: { store: Store; ttlMs: number; now: () => number; logger: Logger }) {
    this.#store = options.store;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
    this.#logger = options.logger;
  }

  /** Remembers a message's response_url (awaited before dispatch: a reply by msgId needs it). */
  async remember(target: ReplyTarget): Promise<void> {
    this.#local.delete(target.msgId);
    this.#local.set(target.msgId, target);
    if (this.#local.size > LOCAL_TARGETS) this.#local.delete(this.#local.keys().next().value as string);
    await this.#store.set(`target:${target.msgId}`, JSON.stringify(target), { ttlMs: this.#ttlMs });
  }

  /**
   * Adds the message to its chat's recent list, off the callback's path. Updates of one chat run
   * one after another in this process, and `byChat` here waits for them, so a reply by chat right
   * after a message arrives sees that message. Never rejects (a failure only costs the chat
   * fallback for this message; replies by msgId still work).
   */
  indexChat(target: ReplyTarget): Promise<void> {
    const chatId = target.chatId;
    const previous = this.#indexing.get(chatId);
    const done = (): void => {
      if (this.#indexing.get(chatId) === run) this.#indexing.delete(chatId);
    };
    const run: Promise<void> = (
      previous ? previous.then(() => this.#index(target)) : this.#index(target)
    ).then(done, (error: unknown) => {
      done();
      this.#logger.warn('could not update the chat reply index; msgId replies still work', {
        msgId: target.msgId,
        error,
      });
    });
    this.#indexing.set(chatId, run);
    return run;
  }

  async #index(target: ReplyTarget): Promise<void> {
    // A line break would split the entry: such a message is answered by msgId only.
    if (target.msgId.includes('\n')) return;
    const line = `${target.at} ${target.msgId}`;
    const options = { ttlMs: this.#ttlMs, maxLines: CHAT_HISTORY };
    // One atomic step on stores that have it; otherwise compareAndSet-fenced, so concurrent
    // messages of one chat on several replicas never lose an entry.
    if (!(await appendLine(this.#store, `chat:${target.chatId}`, line, options))) {
      this.#logger.warn('could not update the chat reply index (contention); msgId replies still work', {
        msgId: target.msgId,
      });
    }
  }

  /**
   * The message's target from the Store; while the Store fails, this process's own copy (fail-open,
   * like dedup: the message was received here, so its URL is known here).
   */
  async byMsgid(msgId: string): Promise<ReplyTarget | undefined> {
    let target: ReplyTarget | undefined;
    try {
      target = parse<ReplyTarget>(await this.#store.get(`target:${msgId}`));
    } catch (error) {
      target = this.#local.get(msgId);
      if (!target) throw error;
      this.#logger.warn("Store unavailable; using this process's copy of the reply target (fail-open)", {
        msgId,
      });
    }
    return target && target.at + this.#ttlMs > this.#now() ? target : undefined;
  }

  /** The newest message of the chat whose response_url is still unused and unexpired. */
  async byChat(chatId: string, isUsed: (url: string) => Promise<boolean>): Promise<ReplyTarget | undefined> {
    await this.#indexing.get(chatId);
    const list = readChat(await this.#store.get(`chat:${chatId}`));
    const seen = new Set<string>();
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i]!;
      if (seen.has(entry.msgId) || !(entry.at + this.#ttlMs > this.#now())) continue;
      seen.add(entry.msgId);
      const target = await this.byMsgid(entry.msgId);
      // A message whose response_url is unusable is never the chat's fallback target.
      if (target && responseUrlOf(target.url) && !(await isUsed(target.url))) return target;
    }
    return undefined;
  }
}
