/**
 * JS-SDK tickets: the corp ticket (`get_jsapi_ticket`, for `wx.config`) and the app ticket
 * (`ticket/get?type=agent_config`, for `wx.agentConfig`). Both live 7200 s and are rate-limited
 * per corp and per app, so they share the access token's CredentialCache: Store record, early
 * refresh, single flight, fenced cross-process lock.
 */
import type { ApiResult, CallOptions, Logger, Store } from '@maven/wecom-core';
import { jsSdkSignature } from '@maven/wecom-crypto';
import { CredentialCache, type CredentialTiming } from './credential-cache.js';
import type { JsSdkConfigOptions, WxAgentConfigParams, WxConfigParams } from './wecom-api-types.js';

export type TicketKind = 'corp' | 'agent';

const PATHS: Record<TicketKind, { path: string; query: Record<string, string> }> = {
  corp: { path: '/cgi-bin/get_jsapi_ticket', query: {} },
  agent: { path: '/cgi-bin/ticket/get', query: { type: 'agent_config' } },
};

export interface TicketCacheOptions extends CredentialTiming {
  kind: TicketKind;
  corpId: string;
  agentId: number;
  store: Store;
  now: () => number;
  logger: Logger;
  /** The app's authenticated call (token refresh and rate limits handled there). */
  call: <T extends ApiResult>(path: string, options: CallOptions) => Promise<T>;
}

export class JsApiTicketCache {
  readonly kind: TicketKind;
  readonly #cache: CredentialCache;

  constructor(options: TicketCacheOptions) {
    this.kind = options.kind;
    const { path, query } = PATHS[options.kind];
    this.#cache = new CredentialCache({
      refreshMarginMs: options.refreshMarginMs,
      lockTtlMs: options.lockTtlMs,
      lockWaitMs: options.lockWaitMs,
      pollIntervalMs: options.pollIntervalMs,
      label: options.kind === 'corp' ? 'jsapi ticket' : 'agent_config ticket',
      prefix: options.kind === 'corp' ? 'jsapi-ticket' : 'agent-ticket',
      key: `${options.corpId}:${options.agentId}`,
      store: options.store,
      now: options.now,
      logger: options.logger,
      fields: { corpId: options.corpId, agentId: options.agentId },
      fetch: async () => {
        const result = await options.call<ApiResult>(path, { method: 'GET', query, idempotent: true });
        return { value: result.ticket as string, expiresInS: result.expires_in };
      },
    });
  }

  get storeKey(): string {
    return this.#cache.storeKey;
  }

  /** How many times this instance asked WeCom for the ticket. */
  get fetchCount(): number {
    return this.#cache.fetchCount;
  }

  get(): Promise<string> {
    return this.#cache.get();
  }

  /** Evicts `ticket` where it is still the cached one (e.g. after the page reported a bad signature). */
  invalidate(ticket: string): Promise<boolean> {
    return this.#cache.invalidate(ticket);
  }
}

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function nonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => NONCE_ALPHABET[b % NONCE_ALPHABET.length]).join('');
}

async function signed(ticket: string, url: string, options: JsSdkConfigOptions, now: () => number) {
  const nonceStr = options.nonceStr ?? nonce();
  const timestamp = options.timestamp ?? Math.floor(now() / 1000);
  const signature = await jsSdkSignature({ ticket, nonceStr, timestamp, url });
  return { nonceStr, timestamp, signature };
}

/** The `wx.config` parameters for a page URL (signed with the corp ticket). */
export async function wxConfigParams(
  corpId: string,
  ticket: string,
  url: string,
  options: JsSdkConfigOptions,
  now: () => number,
): Promise<WxConfigParams> {
  const { nonceStr, timestamp, signature } = await signed(ticket, url, options, now);
  return { beta: true, appId: corpId, timestamp, nonceStr, signature };
}

/** The `wx.agentConfig` parameters for a page URL (signed with the app ticket). */
export async function wxAgentConfigParams(
  corpId: string,
  agentId: number,
  ticket: string,
  url: string,
  options: JsSdkConfigOptions,
  now: () => number,
): Promise<WxAgentConfigParams> {
  const { nonceStr, timestamp, signature } = await signed(ticket, url, options, now);
  return { corpid: corpId, agentid: agentId, timestamp, nonceStr, signature };
}
