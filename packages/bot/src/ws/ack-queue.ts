/**
 * Frames waiting for WeCom's answer, in order per req_id: the next frame of a req_id goes out only
 * after the previous one was answered or timed out (WeCom's own client does the same, and the
 * snapshots of one stream must not overtake each other). Frames of different req_ids do not wait
 * for each other.
 */
import { ackError, WeComWsError } from './errors.js';
import { encodeFrame, type WsAck } from './frames.js';

interface Pending {
  cmd: string;
  body: Record<string, unknown> | undefined;
  resolve: (ack: WsAck) => void;
  reject: (error: WeComWsError) => void;
}

interface Lane {
  queue: Pending[];
  /** The frame sent and not yet answered. */
  inFlight: Pending | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface AckQueueOptions {
  /** Writes one frame; false when there is no open socket. */
  write: (text: string) => boolean;
  ackTimeoutMs: number;
  maxPerReqId: number;
}

export class AckQueue {
  readonly #lanes = new Map<string, Lane>();
  readonly #options: AckQueueOptions;
  readonly #idle = new Set<() => void>();

  constructor(options: AckQueueOptions) {
    this.#options = options;
  }

  /** Frames queued or waiting for an answer. */
  get size(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.queue.length + (lane.inFlight ? 1 : 0);
    return n;
  }

  /** Sends (or queues) one frame; resolves with WeCom's answer, rejects on errcode ≠ 0. */
  enqueue(reqId: string, cmd: string, body: Record<string, unknown> | undefined): Promise<WsAck> {
    let lane = this.#lanes.get(reqId);
    if (lane === undefined) {
      lane = { queue: [], inFlight: undefined, timer: undefined };
      this.#lanes.set(reqId, lane);
    }
    if (lane.queue.length >= this.#options.maxPerReqId) {
      return Promise.reject(
        new WeComWsError('queue_full', `more than ${this.#options.maxPerReqId} frames queued for one req_id`),
      );
    }
    const entry = lane;
    return new Promise<WsAck>((resolve, reject) => {
      entry.queue.push({ cmd, body, resolve, reject });
      if (entry.inFlight === undefined) this.#next(reqId, entry);
    });
  }

  /** Settles the frame waiting on `ack.reqId`; false when nothing waited (a late or unknown answer). */
  handleAck(ack: WsAck): boolean {
    const lane = this.#lanes.get(ack.reqId);
    const pending = lane?.inFlight;
    if (lane === undefined || pending === undefined) return false;
    clearTimeout(lane.timer);
    lane.inFlight = undefined;
    if (ack.errcode === 0) pending.resolve(ack);
    else pending.reject(ackError(pending.cmd, ack));
    this.#next(ack.reqId, lane);
    return true;
  }

  /** Rejects everything queued or in flight (the socket is gone or the connection closes). */
  rejectAll(error: () => WeComWsError): number {
    let n = 0;
    for (const lane of this.#lanes.values()) {
      clearTimeout(lane.timer);
      const all = lane.inFlight ? [lane.inFlight, ...lane.queue] : lane.queue;
      for (const p of all) {
        p.reject(error());
        n++;
      }
    }
    this.#lanes.clear();
    this.#wakeIdle();
    return n;
  }

  /** Resolves once nothing is queued or in flight, or after `timeoutMs`. */
  idle(timeoutMs: number): Promise<void> {
    if (this.#lanes.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#idle.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#idle.add(done);
    });
  }

  #next(reqId: string, lane: Lane): void {
    const pending = lane.queue.shift();
    if (pending === undefined) {
      this.#lanes.delete(reqId);
      if (this.#lanes.size === 0) this.#wakeIdle();
      return;
    }
    if (!this.#options.write(encodeFrame(pending.cmd, reqId, pending.body))) {
      pending.reject(new WeComWsError('not_connected', `${pending.cmd}: no open connection`));
      this.#next(reqId, lane);
      return;
    }
    lane.inFlight = pending;
    lane.timer = setTimeout(() => {
      if (lane.inFlight !== pending) return;
      lane.inFlight = undefined;
      pending.reject(
        new WeComWsError('ack_timeout', `${pending.cmd}: no answer within ${this.#options.ackTimeoutMs} ms`),
      );
      this.#next(reqId, lane);
    }, this.#options.ackTimeoutMs);
  }

  #wakeIdle(): void {
    for (const wake of this.#idle) wake();
    this.#idle.clear();
  }
}
