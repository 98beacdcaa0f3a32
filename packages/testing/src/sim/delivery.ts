/**
 * WeCom's delivery loop for one callback: POST, wait up to the re-delivery interval, and when no
 * 200 arrives in time re-send the same message (fresh timestamp/nonce), up to `maxDeliveries`.
 */
import { HttpFailure, type HttpResponse, sendRequest, withSearch } from '../http-client.js';

export const DEFAULT_REDELIVER_AFTER_MS = 5000;
export const DEFAULT_MAX_DELIVERIES = 3;

export interface DeliveryOptions {
  /** Re-send when no 200 arrives within `redeliverAfterMs`. Default true (false for template-card events). */
  redeliver?: boolean;
  /** How long WeCom waits for an answer before giving up on a delivery. Default 5000. */
  redeliverAfterMs?: number;
  /** Deliveries in total, the first included. Default 3. */
  maxDeliveries?: number;
}

export interface DeliveryAttempt {
  status: number;
  /** Set when the attempt got no HTTP answer. */
  error?: 'timeout' | 'unreachable' | 'invalid_url';
  nonce: string;
}

export interface DeliveryOutcome {
  /** The last answer (status 0 when the last attempt got none). */
  response: HttpResponse | undefined;
  /** The nonce of the request that got `response`. */
  nonce: string;
  deliveries: number;
  attempts: DeliveryAttempt[];
}

export interface SignedRequest {
  search: string;
  body: string;
  nonce: string;
}

export async function deliver(
  url: string,
  build: () => SignedRequest,
  contentType: string,
  options: DeliveryOptions,
  defaultRedeliver: boolean,
): Promise<DeliveryOutcome> {
  const redeliver = options.redeliver ?? defaultRedeliver;
  const waitMs = options.redeliverAfterMs ?? DEFAULT_REDELIVER_AFTER_MS;
  const max = redeliver ? (options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES) : 1;
  const attempts: DeliveryAttempt[] = [];
  let last: HttpResponse | undefined;
  let nonce = '';
  for (let i = 0; i < max; i++) {
    const request = build();
    nonce = request.nonce;
    const startedAt = Date.now();
    try {
      last = await sendRequest(withSearch(url, request.search), {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: request.body,
        timeoutMs: waitMs,
      });
      attempts.push({ status: last.status, nonce });
      if (last.status === 200) break;
      // An answer that is not 200 (a 503 while the first copy is still handled, say) is retried on
      // WeCom's schedule, not at once: the next attempt starts one wait after this one started.
      if (i + 1 < max) await sleep(startedAt + waitMs - Date.now());
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      if (error.kind === 'invalid_url') throw error;
      last = undefined;
      attempts.push({ status: 0, error: error.kind, nonce });
    }
  }
  return { response: last, nonce, deliveries: attempts.length, attempts };
}

/** What a URL-verification GET came back with, judged the way WeCom's console judges it. */
export interface VerifyResult {
  status: number;
  /** The raw body (BOM and whitespace kept). */
  body: string;
  /** True when the body is exactly the echo plaintext and the status 200. */
  ok: boolean;
  echo: string;
  headers: HttpResponse['headers'];
}

/** Sends a signed URL-verification GET and judges the answer (shared by the bot and app drivers). */
export async function verifyUrl(
  url: string,
  request: { search: string; echo: string },
  timeoutMs: number,
): Promise<VerifyResult> {
  const res = await sendRequest(withSearch(url, request.search), { timeoutMs });
  return {
    status: res.status,
    body: res.text,
    ok: res.status === 200 && res.text === request.echo,
    echo: request.echo,
    headers: res.headers,
  };
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
