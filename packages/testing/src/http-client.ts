/**
 * The outbound HTTP of the drivers and the CLI: node:http(s), no connection reuse, a hard timeout,
 * raw body bytes (a BOM or a trailing newline must stay visible).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Abort when no complete answer arrived after this many ms. */
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: Buffer;
  /** `bytes` as UTF-8, BOM included. */
  text: string;
}

export type HttpFailureKind = 'timeout' | 'unreachable' | 'invalid_url';

export class HttpFailure extends Error {
  constructor(
    readonly kind: HttpFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpFailure';
  }
}

/** Without query strings: they carry signatures, and the CLI may print errors. */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export function sendRequest(target: string | URL, options: HttpRequestOptions): Promise<HttpResponse> {
  let url: URL;
  try {
    url = new URL(target);
  } catch (cause) {
    return Promise.reject(new HttpFailure('invalid_url', 'not a valid URL', { cause }));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new HttpFailure('invalid_url', `unsupported protocol ${url.protocol}`));
  }
  const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const req = make(url, {
      method: options.method ?? 'GET',
      agent: false,
      headers: {
        ...(body === undefined ? {} : { 'content-length': String(body.length) }),
        ...options.headers,
      },
    });
    const timer = setTimeout(() => {
      finish(() =>
        reject(
          new HttpFailure('timeout', `no answer from ${describeUrl(url)} within ${options.timeoutMs} ms`),
        ),
      );
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (cause) =>
      finish(() =>
        reject(
          new HttpFailure('unreachable', `cannot reach ${describeUrl(url)}: ${cause.message}`, { cause }),
        ),
      ),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (cause) =>
        finish(() =>
          reject(new HttpFailure('unreachable', `connection to ${describeUrl(url)} broke`, { cause })),
        ),
      );
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        finish(() =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, text: bytes.toString('utf8') }),
        );
      });
    });
    req.end(body);
  });
}

/** Appends a search string (`?a=b`) to a URL that may already have a query. */
export function withSearch(target: string, search: string): string {
  const url = new URL(target);
  const extra = new URLSearchParams(search);
  for (const [name, value] of extra) url.searchParams.set(name, value);
  return url.toString();
}
