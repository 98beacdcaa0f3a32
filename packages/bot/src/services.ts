/**
 * The services a callback's context uses (packages/bot/src/context.ts `ExchangeServices`), built
 * per message by the bot. On the long connection the message's reply slot adds two things: stream
 * states are pushed as snapshot frames, and replies after the passive slot go by req_id.
 */
import type { Logger, Store, TaskTracker } from '@maven/wecom-core';
import type { ExchangeServices } from './context.js';
import type { DeliveryResult } from './delivery.js';
import type { ErrorInfo } from './events.js';
import type { MediaFile, MediaSource } from './media.js';
import type { MediaStream, MediaStreamOptions } from './media-stream.js';
import type { ResolvedOptions } from './options.js';
import type { ResponseUrlOutbox } from './outbox.js';
import type { BotCallback } from './types.js';
import type { WsReplySlot } from './ws/reply-slot.js';

export interface ServiceDeps {
  options: ResolvedOptions;
  store: Store;
  logger: Logger;
  tasks: TaskTracker;
  outbox: ResponseUrlOutbox;
  report: (result: DeliveryResult) => Promise<void>;
  emitError: (error: unknown, info: ErrorInfo) => Promise<void>;
  download: (source: MediaSource) => Promise<MediaFile>;
  downloadStream: (source: MediaSource, call?: MediaStreamOptions) => Promise<MediaStream>;
}

export function botServices(
  d: ServiceDeps,
  message: BotCallback,
  aibotid: string,
  receivedAt: number,
  slot: WsReplySlot | undefined,
): ExchangeServices {
  const o = d.options;
  return {
    outbox: d.outbox,
    tasks: d.tasks,
    marker: o.truncationMarker,
    report: d.report,
    download: d.download,
    downloadStream: d.downloadStream,
    writerOptions: ({ id, passive }) => ({
      id,
      passive,
      aibotid,
      msgId: message.msgId,
      chatId: message.chatId,
      startedAt: receivedAt,
      windowMs: o.streamWindowMs,
      store: d.store,
      marker: o.truncationMarker,
      now: o.inbound.now,
      logger: d.logger,
      onError: (error) =>
        void d.emitError(error, { phase: 'stream', msgId: message.msgId, type: message.type }),
      ...(slot ? { push: (state) => slot.push(state) } : {}),
    }),
    rememberStream: async (streamId) => {
      if (!message.msgId) return;
      await d.store
        .set(`msgstream:${aibotid}:${message.msgId}`, streamId, { ttlMs: o.inbound.dedupTtlMs })
        .catch((error: unknown) => d.logger.warn('could not remember the stream of a message', { error }));
    },
    ...(slot ? { late: (payload, meta) => slot.late(payload, meta) } : {}),
  };
}
