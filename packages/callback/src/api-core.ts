/** What the per-concern API modules (media, appchat, JS-SDK) need from WeComApi. */
import type { ApiResult, CallOptions, HttpClient } from '@maven/wecom-core';

export interface ApiCore {
  readonly corpId: string;
  readonly agentId: number;
  readonly http: HttpClient;
  readonly fetch: typeof globalThis.fetch;
  /** Any API with the app's token: token errors refresh and resend once, rate limits back off. */
  call<T extends ApiResult = ApiResult>(path: string, options?: CallOptions): Promise<T>;
  /** Runs `attempt` with the token under the same policy; `attempt` answers WeCom's errcode body. */
  withToken<T extends ApiResult>(
    path: string,
    signal: AbortSignal | undefined,
    attempt: (token: string) => Promise<T>,
  ): Promise<T>;
}

/** Splits WeCom's `a|b|c` (or an array) into ids. */
export function splitIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value.length > 0 ? value.split('|').filter((v) => v.length > 0) : [];
}
