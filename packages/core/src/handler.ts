/**
 * The framework-neutral handler contract. Every adapter converts its framework's request into a
 * `WeComRequest` (raw body, method, URL, headers) and writes back the `WeComResponse`; all policy
 * (methods, body cap, concurrency, error → status, logging) lives here, once.
 */
import { isWeComError, redact, WeComRequestError } from './errors.js';
import { type Logger, silentLogger } from './logger.js';

export type HeadersInput = Headers | Record<string, string | string[] | undefined>;

export interface WeComRequest {
  method: string;
  /** Path and query (`/wecom/bot?msg_signature=…`) or an absolute URL. Query not yet decoded. */
  url: string;
  headers?: HeadersInput;
  /** The raw, unparsed body. */
  body?: string | Uint8Array | null;
}

export interface WeComResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ReceiveContext {
  /** Keeps background work (active replies) alive after the response, e.g. Workers' `ctx.waitUntil`. */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** What a bot or a callback router offers to adapters. */
export interface WeComHandler {
  receive(request: WeComRequest, context?: ReceiveContext): Promise<WeComResponse>;
  handle(request: Request, context?: ReceiveContext): Promise<Response>;
  /** False when the path is not this handler's: adapters then fall through to the next route. */
  matches(pathname: string): boolean;
  /** Body cap in bytes, enforced by adapters while reading, before any crypto work. */
  readonly maxBodyBytes: number;
  /** Waits for in-flight background replies (or reports them failed), then refuses new work. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** A parsed inbound request, as the bot and the router see it. */
export interface InboundRequest {
  method: 'GET' | 'POST';
  pathname: string;
  /** URL-decoded exactly once. */
  query: URLSearchParams;
  headers: Headers;
  body: string;
}

export interface WebhookSpec {
  /** Paths this handler answers; a function for prefixes; undefined = every path. */
  paths?: readonly string[] | ((pathname: string) => boolean);
  maxBodyBytes: number;
  /** Most requests processed at once; beyond it 503 (WeCom retries). Default 512. */
  maxConcurrent?: number;
  logger?: Logger;
  onGet(request: InboundRequest, context: ReceiveContext): Promise<WeComResponse>;
  onPost(request: InboundRequest, context: ReceiveContext): Promise<WeComResponse>;
  /** Called by close() to drain background work. */
  onClose?(timeoutMs: number): Promise<void>;
}

export function textResponse(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): WeComResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}

export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): WeComResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

export function xmlResponse(status: number, body: string): WeComResponse {
  return { status, headers: { 'content-type': 'application/xml; charset=utf-8' }, body };
}

/** An empty 200: WeCom's documented "no passive reply". */
export function emptyResponse(): WeComResponse {
  return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '' };
}

/** `{"status":"ok"}` for load balancers and the reference adapters' `/health`. */
export function healthResponse(extra: Record<string, unknown> = {}): WeComResponse {
  return jsonResponse(200, { status: 'ok', ...extra });
}

const decoder = new TextDecoder();

function toHeaders(input: HeadersInput | undefined): Headers {
  if (input instanceof Headers) return input;
  const h = new Headers();
  if (input) {
    for (const [k, v] of Object.entries(input)) {
      if (v === undefined) continue;
      try {
        h.set(k, Array.isArray(v) ? v.join(', ') : v);
      } catch {
        // A header Headers refuses (odd bytes) is not one WeCom sends; skip it.
      }
    }
  }
  return h;
}

/** Maps an error to an HTTP answer; the body is the stable code only (no detail, no secrets). */
export function errorResponse(error: unknown): WeComResponse {
  if (isWeComError(error)) {
    const headers: Record<string, string> = {};
    if (error.code === 'method_not_allowed') headers.allow = 'GET, POST';
    if (error.status === 413) headers.connection = 'close';
    return textResponse(error.status, error.code, headers);
  }
  return textResponse(500, 'internal_error');
}

/** Builds a `WeComHandler` from GET/POST callbacks, adding the shared policy around them. */
export function createWebhookHandler(spec: WebhookSpec): WeComHandler {
  const logger = spec.logger ?? silentLogger;
  const maxConcurrent = spec.maxConcurrent ?? 512;
  const paths = spec.paths;
  const matches =
    paths === undefined
      ? () => true
      : typeof paths === 'function'
        ? paths
        : (p: string) => paths.includes(p) || paths.includes(p.replace(/\/+$/, '') || '/');
  let active = 0;
  let closed = false;

  async function receive(request: WeComRequest, context: ReceiveContext = {}): Promise<WeComResponse> {
    let url: URL;
    try {
      url = new URL(request.url, 'http://localhost');
    } catch {
      return errorResponse(new WeComRequestError('bad_request', 'malformed URL'));
    }
    if (!matches(url.pathname)) return errorResponse(new WeComRequestError('not_found', 'not found'));
    const method = request.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST') {
      return errorResponse(new WeComRequestError('method_not_allowed', 'only GET and POST'));
    }
    if (closed || active >= maxConcurrent) {
      return errorResponse(
        new WeComRequestError('overloaded', closed ? 'shutting down' : 'too many requests'),
      );
    }
    active++;
    try {
      const raw = request.body ?? '';
      const size = typeof raw === 'string' ? raw.length : raw.byteLength;
      if (size > spec.maxBodyBytes) throw new WeComRequestError('body_too_large', 'body too large');
      const body = typeof raw === 'string' ? raw : decoder.decode(raw);
      const inbound: InboundRequest = {
        method,
        pathname: url.pathname,
        query: url.searchParams,
        headers: toHeaders(request.headers),
        body,
      };
      return await (method === 'GET' ? spec.onGet(inbound, context) : spec.onPost(inbound, context));
    } catch (error) {
      const response = errorResponse(error);
      if (response.status >= 500) {
        logger.error('request failed', { path: url.pathname, error: describe(error) });
      } else {
        logger.debug('request refused', { path: url.pathname, status: response.status, code: response.body });
      }
      return response;
    } finally {
      active--;
    }
  }

  async function handle(request: Request, context: ReceiveContext = {}): Promise<Response> {
    let body: Uint8Array;
    try {
      body = await readBodyLimited(request, spec.maxBodyBytes);
    } catch (error) {
      return toFetchResponse(errorResponse(error));
    }
    const out = await receive(
      { method: request.method, url: request.url, headers: request.headers, body },
      context,
    );
    return toFetchResponse(out);
  }

  return {
    receive,
    handle,
    matches,
    maxBodyBytes: spec.maxBodyBytes,
    async close(options = {}) {
      closed = true;
      await spec.onClose?.(options.timeoutMs ?? 10_000);
    },
  };
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { name: error.name, code: (error as { code?: unknown }).code, message: redact(error.message) };
  }
  return { message: redact(String(error)) };
}

export function toFetchResponse(out: WeComResponse): Response {
  return new Response(out.status === 204 || out.status === 304 ? null : out.body, {
    status: out.status,
    headers: out.headers,
  });
}

/**
 * Reads a fetch body with a cap: refuses a declared Content-Length over it at once, and stops
 * reading (cancelling the stream) as soon as the running count passes it.
 */
export async function readBodyLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? 'NaN');
  if (Number.isFinite(declared) && declared > maxBytes) {
    await request.body?.cancel().catch(() => {});
    throw new WeComRequestError('body_too_large', 'body too large');
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new WeComRequestError('body_too_large', 'body too large');
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Reads a required query parameter, or throws `missing_parameter` (400). */
export function requireParam(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === '') throw new WeComRequestError('missing_parameter', `missing ${name}`);
  return value;
}
