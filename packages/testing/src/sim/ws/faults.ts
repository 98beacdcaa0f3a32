/** The long-connection faults in force: lasting ones until cleared, counted ones until used up. */
import type { WsFaultSpec } from './types.js';

type Counted = WsFaultSpec & { left: number };

export class WsFaults {
  #lasting: WsFaultSpec[] = [];
  #counted: Counted[] = [];

  add(fault: WsFaultSpec): void {
    if (fault.kind === 'refuse_subscribe' || fault.kind === 'fail_chunk') {
      this.#counted.push({ ...fault, left: fault.count ?? 1 });
    } else {
      this.#lasting.push(fault);
    }
  }

  clear(): void {
    this.#lasting = [];
    this.#counted = [];
  }

  has(kind: 'ignore_pings' | 'silence', botId: string | undefined): boolean {
    return this.#lasting.some((f) => f.kind === kind && (f.botId === undefined || f.botId === botId));
  }

  delayFor(cmd: string | undefined, botId: string | undefined): number {
    let ms = 0;
    for (const f of this.#lasting) {
      if (f.kind !== 'delay_acks') continue;
      if (f.botId !== undefined && f.botId !== botId) continue;
      if (f.cmd !== undefined && f.cmd !== cmd) continue;
      ms = Math.max(ms, f.ms);
    }
    return ms;
  }

  /** The errcode of a counted fault that matches (and is used up by) this frame. */
  take(
    kind: 'refuse_subscribe' | 'fail_chunk',
    match: { botId?: string; chunkIndex?: unknown },
  ): number | undefined {
    const i = this.#counted.findIndex((f) => {
      if (f.kind !== kind) return false;
      if (f.kind === 'refuse_subscribe') return f.botId === undefined || f.botId === match.botId;
      return f.kind === 'fail_chunk' && (f.chunkIndex === undefined || f.chunkIndex === match.chunkIndex);
    });
    if (i < 0) return undefined;
    const f = this.#counted[i]!;
    f.left--;
    if (f.left <= 0) this.#counted.splice(i, 1);
    if (f.kind === 'refuse_subscribe') return f.errcode ?? 45009;
    return f.kind === 'fail_chunk' ? (f.errcode ?? -1) : undefined;
  }
}
