/**
 * The replies to one long-connection callback, all under its req_id. The passive answer the
 * pipeline chose goes first (`aibot_respond_msg`, `_welcome_msg` for enter_chat, `_update_msg` for
 * a card click); a stream's later states follow as snapshot frames, coalesced (each replaces the
 * whole content, so only the newest waiting state is sent); replies after the passive slot (late
 * markdown, a stream's hand-over) go as their own frames. Outcomes are reported like the webhook's.
 */
import type { DeliveryResult, ReplyDelivered, ReplyFailureReason } from '../delivery.js';
import type { OutboxMeta, ResponseUrlPayload } from '../outbox.js';
import { type PassiveBody, type StreamState, streamFrame } from '../payloads.js';
import { WeComWsError } from './errors.js';
import { WS_CMD, type WsAck } from './frames.js';
import type { WsTransport } from './transport.js';

export interface ReplySlotInit {
  reqId: string;
  /** The command of the first answer (welcome and card update have their own). */
  cmd: string;
  msgId: string;
  chatId: string;
  transport: Pick<WsTransport, 'respond'>;
  report: (result: DeliveryResult) => Promise<void>;
}

/** Identity of a stream frame's visible state (feedback and card ride on the first frame only). */
function streamKey(stream: Record<string, unknown> | undefined): string | undefined {
  if (stream === undefined) return undefined;
  const items = stream.msg_item as unknown[] | undefined;
  return JSON.stringify([stream.id, stream.finish, stream.content, items?.length ?? 0]);
}

/** How a failed frame is named in `reply.failed`. */
export function wsFailureReason(error: unknown): ReplyFailureReason {
  if (!(error instanceof WeComWsError)) return 'unknown_outcome';
  switch (error.code) {
    case 'ack_error':
      return 'api_error';
    case 'connection_closed':
      return 'closed';
    case 'not_connected':
    case 'connection_replaced':
    case 'queue_full':
      return 'network_error';
    default:
      return 'unknown_outcome';
  }
}

export class WsReplySlot {
  readonly #i: ReplySlotInit;
  #answered = false;
  #lastKey: string | undefined;
  #pending: StreamState | undefined;
  #pumping: Promise<void> | undefined;

  constructor(init: ReplySlotInit) {
    this.#i = init;
  }

  get reqId(): string {
    return this.#i.reqId;
  }

  get chatId(): string {
    return this.#i.chatId;
  }

  /** The first answer: the passive reply the pipeline chose. Rejects with the frame's error. */
  async answer(body: PassiveBody): Promise<WsAck> {
    this.#answered = true;
    const b = body as Record<string, unknown>;
    this.#lastKey = streamKey(b.stream as Record<string, unknown> | undefined);
    try {
      return await this.#i.transport.respond(this.#i.reqId, b, this.#i.cmd);
    } finally {
      this.#kick();
    }
  }

  /** The pipeline chose no passive reply: later stream states (if any) go out as they come. */
  unanswered(): void {
    this.#answered = true;
    this.#kick();
  }

  /** A stream state was written: push it as a snapshot once the first answer is out. */
  push(state: StreamState): void {
    this.#pending = state;
    this.#kick();
  }

  /** Waits for the snapshots waiting to go out. */
  idle(): Promise<void> {
    return this.#pumping ?? Promise.resolve();
  }

  #kick(): void {
    if (!this.#answered || this.#pending === undefined) return;
    this.#pumping ??= this.#pump().finally(() => {
      this.#pumping = undefined;
      this.#kick();
    });
  }

  async #pump(): Promise<void> {
    while (this.#pending !== undefined) {
      const state = this.#pending;
      this.#pending = undefined;
      const body = streamFrame(state) as Record<string, unknown>;
      const key = streamKey(body.stream as Record<string, unknown>);
      if (key === this.#lastKey) continue;
      this.#lastKey = key;
      const meta = {
        kind: 'stream' as const,
        streamId: state.id,
        ...(state.truncated ? { truncated: true } : {}),
      };
      try {
        await this.#i.transport.respond(this.#i.reqId, body, WS_CMD.respondMsg);
        if (state.finish && !state.handedOver) await this.#i.report(this.#ok(meta, { finish: true }));
      } catch (error) {
        await this.#i.report(this.#failed(meta, error));
        // A frame WeCom refused (6 min over, req_id gone) is not followed by more of this stream.
        if (error instanceof WeComWsError && error.code !== 'ack_timeout') return;
      }
    }
  }

  /** A reply after the passive slot, as its own frame under the callback's req_id. */
  async late(payload: ResponseUrlPayload, meta: OutboxMeta): Promise<DeliveryResult> {
    await this.idle();
    const m = {
      kind: meta.kind,
      ...(meta.streamId ? { streamId: meta.streamId } : {}),
      ...(meta.truncated ? { truncated: true } : {}),
    };
    try {
      await this.#i.transport.respond(this.#i.reqId, payload as Record<string, unknown>, WS_CMD.respondMsg);
    } catch (error) {
      const failed = this.#failed(m, error);
      await this.#i.report(failed);
      return failed;
    }
    const result = this.#ok(m, meta.kind === 'stream' ? { finish: true } : {});
    await this.#i.report(result);
    return result;
  }

  #ok(meta: Omit<ReplyDelivered, 'ok' | 'channel'>, extra: Partial<ReplyDelivered>): ReplyDelivered {
    return { ok: true, channel: 'websocket', ...this.#ids(), ...meta, ...extra };
  }

  #failed(meta: Omit<ReplyDelivered, 'ok' | 'channel'>, error: unknown): DeliveryResult {
    const e =
      error instanceof WeComWsError
        ? error
        : new WeComWsError('ack_error', 'the reply frame failed', { cause: error });
    return { ok: false, channel: 'websocket', ...this.#ids(), ...meta, reason: wsFailureReason(e), error: e };
  }

  #ids(): { msgId?: string; chatId?: string } {
    return {
      ...(this.#i.msgId ? { msgId: this.#i.msgId } : {}),
      ...(this.#i.chatId ? { chatId: this.#i.chatId } : {}),
    };
  }
}
