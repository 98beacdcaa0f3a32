/**
 * The response_url outbox. A response_url works once: each URL is claimed on the Store before the
 * POST (so two replies, or two replicas, never both send), marked used after a success or a
 * non-retryable failure, and released only when WeCom certainly did not consume it. The HTTP
 * client retries -1/6000/429/5xx and never resends after the request may have reached WeCom.
 */
import {
  type HttpClient,
  type Logger,
  type Store,
  type TaskTracker,
  WeComApiError,
  type WeComError,
  WeComHttpError,
  WeComNetworkError,
  WeComTimeoutError,
} from '@maven/wecom-core';
import type { DeliveryResult, ReplyFailed, ReplyFailureReason, ReplyKind } from './delivery.js';
import { md5Hex } from './digest.js';
import { WeComBotError } from './errors.js';
import { randomId } from './ids.js';
import type { TemplateCard } from './types.js';

export type ResponseUrlPayload =
  | { msgtype: 'markdown'; markdown: { content: string; feedback?: { id: string } } }
  | { msgtype: 'template_card'; template_card: TemplateCard };

/**
 * The response_url as an absolute http(s) URL, or undefined. A decrypted message is still input:
 * a relative string or another scheme (file:, data:) is refused, never resolved against the API
 * base. WeCom's URLs are https; http is allowed for tests and simulators.
 */
export function responseUrlOf(text: unknown): URL | undefined {
  if (typeof text !== 'string' || !/^https?:\/\//i.test(text)) return undefined;
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname ? url : undefined;
  } catch {
    return undefined;
  }
}

export interface OutboxTarget {
  url: string;
  msgId?: string;
  chatId?: string;
}

export interface OutboxMeta {
  kind: ReplyKind;
  truncated?: boolean;
  streamId?: string;
}

export interface OutboxOptions {
  http: HttpClient;
  store: Store;
  ttlMs: number;
  logger: Logger;
  tasks: TaskTracker;
  /** errcodes the HTTP client retries: after the last retry the URL is released, not burned. */
  retryErrcodes: readonly number[];
  retryStatuses: readonly number[];
  report: (result: DeliveryResult) => Promise<void>;
}

type Settle = { used: boolean; reason: ReplyFailureReason };

export class ResponseUrlOutbox {
  readonly #o: OutboxOptions;
  /** One controller per send in flight (a shared signal would gather a listener per send). */
  readonly #inflight = new Set<AbortController>();
  /** URLs claimed in this process while the Store was unavailable (bounded). */
  readonly #localClaims = new Set<string>();
  #closed = false;

  constructor(options: OutboxOptions) {
    this.#o = options;
  }

  static usedKey(url: string): string {
    return `url:${md5Hex(url)}`;
  }

  async isUsed(url: string): Promise<boolean> {
    return (await this.#o.store.get(ResponseUrlOutbox.usedKey(url))) !== undefined;
  }

  /** Sends once; resolves with the outcome (also reported as an event). Tracked until settled. */
  send(
    target: OutboxTarget,
    payload: ResponseUrlPayload,
    meta: OutboxMeta,
    waitUntil?: (promise: Promise<unknown>) => void,
  ): Promise<DeliveryResult> {
    return this.#o.tasks.run(this.#send(target, payload, meta), waitUntil);
  }

  /** Refuses new sends and aborts those in flight (they report `closed`). */
  close(): void {
    this.#closed = true;
    for (const controller of this.#inflight) controller.abort();
  }

  /** A failure that never reached the network, reported like any other. */
  async fail(target: Partial<OutboxTarget>, meta: OutboxMeta, reason: ReplyFailureReason, error: WeComError) {
    const result: ReplyFailed = {
      ok: false,
      channel: 'response_url',
      ...this.#base(target, meta),
      reason,
      error,
    };
    await this.#o.report(result);
    return result;
  }

  #base(target: Partial<OutboxTarget>, meta: OutboxMeta) {
    return {
      kind: meta.kind,
      ...(target.msgId ? { msgId: target.msgId } : {}),
      ...(target.chatId ? { chatId: target.chatId } : {}),
      ...(meta.streamId ? { streamId: meta.streamId } : {}),
      ...(meta.truncated ? { truncated: true } : {}),
    };
  }

  #claimLocally(key: string): boolean {
    if (this.#localClaims.has(key)) return false;
    this.#localClaims.add(key);
    if (this.#localClaims.size > 10_000)
      this.#localClaims.delete(this.#localClaims.values().next().value as string);
    return true;
  }

  async #send(target: OutboxTarget, payload: ResponseUrlPayload, meta: OutboxMeta): Promise<DeliveryResult> {
    const { store, ttlMs, http, logger } = this.#o;
    if (this.#closed)
      return this.fail(target, meta, 'closed', new WeComBotError('bot_closed', 'the bot is closed'));
    const url = responseUrlOf(target.url);
    if (!url) {
      const error = new WeComBotError(
        'response_url_invalid',
        "the message's response_url is not an absolute http(s) URL; nothing was sent",
      );
      return this.fail(target, meta, 'response_url_invalid', error);
    }
    const key = ResponseUrlOutbox.usedKey(target.url);
    const claim = `sending:${randomId(8)}`;
    let claimed: boolean;
    try {
      claimed = await store.compareAndSet(key, undefined, claim, { ttlMs });
    } catch (cause) {
      // Fail open, like dedup: the claim holds for this process only, so the user still gets the
      // answer; another replica could only send too if dedup (also failing open) let it run twice.
      claimed = this.#claimLocally(key);
      logger.warn('Store unavailable; response_url claimed in this process only (fail-open)', {
        error: cause,
      });
    }
    if (!claimed) {
      const error = new WeComBotError('response_url_used', 'this response_url was already used (single use)');
      return this.fail(target, meta, 'response_url_used', error);
    }
    const controller = new AbortController();
    this.#inflight.add(controller);
    try {
      await http.call(url.href, {
        method: 'POST',
        json: payload,
        idempotent: false,
        signal: controller.signal,
      });
    } catch (caught) {
      const error = caught as WeComError;
      const settle = this.#classify(error);
      // A URL WeCom may have consumed keeps its claim (it marks the URL used for its whole life);
      // one that surely was not is released for a later try.
      if (!settle.used) {
        await store
          .compareAndDelete(key, claim)
          .catch((e: unknown) => logger.warn('could not release the response_url claim', { error: e }));
      }
      return this.fail(target, meta, this.#closed ? 'closed' : settle.reason, error);
    } finally {
      this.#inflight.delete(controller);
    }
    // Sent: the claim, written with the URL's whole life as its TTL, now marks it used.
    const result: DeliveryResult = { ok: true, channel: 'response_url', ...this.#base(target, meta) };
    await this.#o.report(result);
    return result;
  }

  /** Whether WeCom may have consumed the URL, and how to name the failure. */
  #classify(error: unknown): Settle {
    if (error instanceof WeComApiError) {
      return { used: !this.#o.retryErrcodes.includes(error.errcode), reason: 'api_error' };
    }
    if (error instanceof WeComHttpError) {
      if (error.httpStatus >= 200 && error.httpStatus < 300) return { used: true, reason: 'unknown_outcome' };
      return { used: !this.#o.retryStatuses.includes(error.httpStatus), reason: 'http_error' };
    }
    if (error instanceof WeComNetworkError || error instanceof WeComTimeoutError) {
      return error.maybeDelivered
        ? { used: true, reason: 'unknown_outcome' }
        : { used: false, reason: 'network_error' };
    }
    return { used: true, reason: 'unknown_outcome' };
  }
}
