/**
 * A capped, streamed download of a media URL on ky: ky's timeout on each hop's headers, one deadline
 * over the whole download (redirects, headers and body), every redirect target checked again.
 */
import type { KyInstance } from 'ky';
import { pathOf, WeComConfigError, WeComHttpError, WeComNetworkError, WeComRequestError } from './errors.js';
import { type ExchangeState, positive, safeCause, toWeComError } from './http-policy.js';

export interface DownloadOptions {
  /** Largest body accepted, checked on Content-Length and while streaming. */
  maxBytes: number;
  /** For the whole download: redirects, headers and body. Default the client's `timeoutMs`. */
  timeoutMs?: number;
  /** Allowed URL protocols. Default ['https:']. */
  protocols?: readonly string[];
  /** When set, only these hosts (exact, or a suffix starting with '.'). */
  hosts?: readonly string[];
  signal?: AbortSignal;
  /** Redirects followed, each target checked against `protocols` and `hosts` again. Default 3. */
  maxRedirects?: number;
}

export interface Downloaded {
  bytes: Uint8Array;
  /** Content-Type without parameters, lower case, or '' when absent. */
  contentType: string;
  headers: Headers;
}

const MAX_REDIRECTS = 3;

/** A media URL checked against the allowed protocols and hosts (SSRF guard), resolved against `base`. */
export function checkDownloadUrl(
  candidate: string,
  protocols: readonly string[],
  hosts: readonly string[] | undefined,
  base?: URL,
): URL {
  let url: URL;
  try {
    url = base ? new URL(candidate, base) : new URL(candidate);
  } catch (cause) {
    throw new WeComRequestError('bad_request', 'media URL is not a valid URL', { cause: safeCause(cause) });
  }
  if (!protocols.includes(url.protocol)) {
    throw new WeComRequestError('forbidden', `media URL protocol ${url.protocol} is not allowed`);
  }
  if (hosts && !hosts.some((h) => (h.startsWith('.') ? url.hostname.endsWith(h) : url.hostname === h))) {
    throw new WeComRequestError('forbidden', 'media URL host is not allowed');
  }
  return url;
}

export async function download(
  ky: KyInstance,
  defaultTimeoutMs: number,
  rawUrl: string,
  options: DownloadOptions,
): Promise<Downloaded> {
  const maxBytes = options?.maxBytes;
  if (typeof maxBytes !== 'number' || !(maxBytes >= 0))
    throw new WeComConfigError('download maxBytes must be a non-negative number');
  const maxRedirects = options.maxRedirects ?? MAX_REDIRECTS;
  const protocols = options.protocols ?? ['https:'];
  const hosts = options.hosts?.map((h) => h.toLowerCase());
  const check = (candidate: string, base?: URL): URL => checkDownloadUrl(candidate, protocols, hosts, base);
  let url = check(rawUrl);
  const timeoutMs = positive(options.timeoutMs ?? defaultTimeoutMs, 'timeoutMs');
  const deadline = new AbortController();
  const state: ExchangeState = {
    path: pathOf(url.toString()),
    timeoutMs,
    totalMs: timeoutMs,
    responded: false,
    caller: options.signal,
    deadline: deadline.signal,
  };
  if (options.signal?.aborted)
    throw new WeComNetworkError(state.path, false, { cause: safeCause(options.signal.reason) });
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  try {
    for (let hop = 0; ; hop++) {
      const path = pathOf(url.toString());
      const response = await ky(url, {
        method: 'GET',
        signal,
        redirect: 'manual',
        timeout: timeoutMs,
        throwHttpErrors: false,
        // A media URL is fetched once: the caller decides whether to try again.
        retry: { limit: 0 },
      });
      state.responded = true;
      if (response.type === 'opaqueredirect') {
        throw new WeComRequestError('forbidden', 'media URL redirects, and this runtime hides the target');
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel().catch(() => {});
        if (hop >= maxRedirects) throw new WeComRequestError('forbidden', 'media URL redirects too often');
        url = check(location, url);
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw new WeComHttpError(response.status, path);
      }
      const declared = Number(response.headers.get('content-length') ?? 'NaN');
      if (Number.isFinite(declared) && declared > maxBytes) {
        await response.body?.cancel().catch(() => {});
        throw new WeComRequestError('body_too_large', `media exceeds ${maxBytes} bytes`, { status: 413 });
      }
      const bytes = await readCapped(response, maxBytes);
      const contentType = (response.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
      return { bytes, contentType, headers: response.headers };
    }
  } catch (error) {
    throw toWeComError(error, state);
  } finally {
    clearTimeout(timer);
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new WeComRequestError('body_too_large', `media exceeds ${maxBytes} bytes`, { status: 413 });
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
