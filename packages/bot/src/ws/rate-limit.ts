/**
 * WeCom's per-conversation quota on the long connection: replies and proactive messages together,
 * 30 per minute and 1000 per hour. A sliding log per conversation, pruned as it is read.
 */

export interface RateWindow {
  max: number;
  windowMs: number;
}

export const WS_CONVERSATION_LIMITS: readonly RateWindow[] = [
  { max: 30, windowMs: 60_000 },
  { max: 1000, windowMs: 3_600_000 },
];

export class ConversationLimiter {
  readonly #limits: readonly RateWindow[];
  readonly #longest: number;
  readonly #log = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(limits: readonly RateWindow[], now: () => number) {
    this.#limits = limits;
    this.#longest = Math.max(...limits.map((l) => l.windowMs));
    this.#now = now;
  }

  #times(chatId: string): number[] {
    const times = this.#log.get(chatId) ?? [];
    const cut = this.#now() - this.#longest;
    let drop = 0;
    while (drop < times.length && times[drop]! <= cut) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length === 0) this.#log.delete(chatId);
    return times;
  }

  /** Ms until `count` more messages fit into every window (0: now). */
  delayFor(chatId: string, count = 1): number {
    const times = this.#times(chatId);
    const now = this.#now();
    let delay = 0;
    for (const { max, windowMs } of this.#limits) {
      const inWindow = times.filter((t) => t > now - windowMs);
      const over = inWindow.length + count - max;
      if (over <= 0) continue;
      // Slot j frees one window after slot j - max was used.
      let j = over - 1;
      let extra = 0;
      while (j >= inWindow.length) {
        j -= max;
        extra += windowMs;
      }
      delay = Math.max(delay, (j < 0 ? now : inWindow[j]! + windowMs) + extra - now);
    }
    return delay;
  }

  /** Counts one message sent now. */
  note(chatId: string): void {
    const times = this.#times(chatId);
    times.push(this.#now());
    this.#log.set(chatId, times);
  }
}
