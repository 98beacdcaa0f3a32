/**
 * The framework-neutral handler contract. Every adapter converts its framework's request into a
 * `WeComRequest` (raw body, method, URL, headers) and writes back the `WeComResponse`; all policy
 * (methods, body cap, concurrency, error → status, logging) lives here, once.
 */
import { isWeComError, redact, WeComConfigError, WeComRequestError } from './errors.js';
import { type Logger, silentLogger } from './logger.js';
import { utf8Length } from './text.js';

export type HeadersInput = Headers | Record<string, string | string[] | undefined>;

/** Reads the raw body inside the handler's concurrency slot, with its cap and timeout. */
export type BodyReader = (limits: BodyLimits) => Promise<string | Uint8Array | null | undefined>;

export interface BodyLimits {
  /** Refuse (413) past this many bytes, before any crypto work. */
  maxBytes: number;
  /** Refuse (408) a body that has not fully arrived after this long. */
  timeoutMs: number;
}

export interface WeComRequest {
  method: string;
  /** Path and query (`/wecom/bot?msg_signature=…`) or an absolute URL. Query not yet decoded. */
  url: string;
  headers?: HeadersInput;
  /**
   * The raw, unparsed body, or a reader the handler calls once, only for a request it will serve
   * (its path, GET or POST, a free concurrency slot): the ports pass readers, so a refused request
   * is never read and a slow body holds a slot while it arrives.
   */
  body?: string | Uint8Array | null | BodyReader;
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

/**
 * What a bot or a callback router offers to the ports. `receive` is the one entry: it parses the
 * URL and matches the path once, then reads the body inside a concurrency slot. Adapters do not
 * call it directly: they use the two ports, `handleFetch` (fetch runtimes) and `serveNode` (Node).
 */
export interface WeComHandler {
  receive(request: WeComRequest, context?: ReceiveContext): Promise<WeComResponse>;
  /** False when the path is not this handler's. */
  matches(pathname: string): boolean;
  /** Body cap in bytes. */
  readonly maxBodyBytes: number;
  /** Waits for in-flight background replies (or reports them failed), then refuses new work. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** A parsed inbound request, as the bot and the router see it. */
export interface InboundRequest {
  method: 'GET' | 'POST';
  pathname: string;
  /**
   * URL-decoded exactly once: `%2B` → `+`, `%2F` → `/`, `%3D` → `=`. A literal `+` stays `+`
   * (not a space as in HTML forms): WeCom's parameters are hex, digits and base64, never spaces,
   * and a proxy that forgot to encode `+` must not break the signature over `echostr`.
   */
  query: URLSearchParams;
  headers: Headers;
  body: string;
}

export interface WebhookSpec {
  /** Paths this handler answers; a function for prefixes; undefined = every path. */
  paths?: readonly string[] | ((pathname: string) => boolean) | undefined;
  maxBodyBytes: number;
  /** Time a body may take to arrive in full; then 408. Default 10 s. */
  bodyTimeoutMs?: number;
  /** Most requests processed at once (body reading included); beyond it 503 (WeCom retries). Default 512. */
  maxConcurrent?: number;
  logger?: Logger;
  onGet(request: InboundRequest, context: ReceiveContext): Promise<WeComResponse>;
  onPost(request: InboundRequest, context: ReceiveContext): Promise<WeComResponse>;
  /** Called by close() to drain background work. */
  onClose?(timeoutMs: number): Promise<void>;
  /** Clock (ms) for the rate of refusal log lines. Default `Date.now`. */
  now?: () => number;
}

/** Default time a request body may take to arrive in full. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

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
    const status = error.status;
    // A status `Response` would refuse (or a success status on an error) becomes a plain 500.
    if (!Number.isInteger(status) || status < 400 || status > 599) return textResponse(500, 'internal_error');
    const headers: Record<string, string> = {};
    if (error.code === 'method_not_allowed') headers.allow = 'GET, POST';
    // The rest of an oversize or stalled body is not read: the connection cannot be reused.
    if (status === 413 || status === 408) headers.connection = 'close';
    return textResponse(status, error.code, headers);
  }
  return textResponse(500, 'internal_error');
}

/**
 * The answer for a path that is not the handler's: a 404, and one object, so a port can tell it
 * apart (`out === NOT_HANDLED`) and hand the request to the next route without matching again.
 */
export const NOT_HANDLED: WeComResponse = Object.freeze({
  status: 404,
  headers: Object.freeze({ 'content-type': 'text/plain; charset=utf-8' }) as Record<string, string>,
  body: 'not_found',
});

/** Parses a request URL; a literal `+` in the query is kept as `+` (see `InboundRequest.query`). */
export function parseRequestUrl(raw: string): URL {
  // A path such as `//x` must stay a path, not become a host.
  const url = raw.startsWith('/') ? new URL(`http://localhost${raw}`) : new URL(raw, 'http://localhost');
  if (url.search.includes('+')) url.search = url.search.replaceAll('+', '%2B');
  return url;
}

/** Builds a `WeComHandler` from GET/POST callbacks, adding the shared policy around them. */
export function createWebhookHandler(spec: WebhookSpec): WeComHandler {
  const logger = spec.logger ?? silentLogger;
  const maxConcurrent = spec.maxConcurrent ?? 512;
  if (!Number.isInteger(spec.maxBodyBytes) || spec.maxBodyBytes < 1)
    throw new WeComConfigError('maxBodyBytes must be a positive integer');
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1)
    throw new WeComConfigError('maxConcurrent must be a positive integer');
  const limits: BodyLimits = {
    maxBytes: spec.maxBodyBytes,
    timeoutMs: spec.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
  };
  if (!(limits.timeoutMs > 0)) throw new WeComConfigError('bodyTimeoutMs must be a positive number');
  const paths = spec.paths;
  if (paths !== undefined && typeof paths !== 'function' && !Array.isArray(paths))
    throw new WeComConfigError('paths must be a list of paths or a function');
  const matches =
    paths === undefined
      ? () => true
      : typeof paths === 'function'
        ? paths
        : (p: string) => paths.includes(p) || paths.includes(p.replace(/\/+$/, '') || '/');
  let active = 0;
  let closing: Promise<void> | undefined;
  let mountingAdviceGiven = false;
  const refusals = new RefusalLog(logger, spec.now ?? Date.now);

  /**
   * The checks that need no body (path, method, shutdown, concurrency), then the body (read only
   * now, inside a concurrency slot), then the callback. Never throws.
   */
  async function receive(request: WeComRequest, context: ReceiveContext = {}): Promise<WeComResponse> {
    let url: URL;
    try {
      url = parseRequestUrl(request.url);
    } catch {
      return errorResponse(new WeComRequestError('bad_request', 'malformed URL'));
    }
    if (!matches(url.pathname)) return NOT_HANDLED;
    const method = String(request.method).toUpperCase();
    if (method !== 'GET' && method !== 'POST') {
      return errorResponse(new WeComRequestError('method_not_allowed', 'only GET and POST'));
    }
    if (closing || active >= maxConcurrent) {
      return errorResponse(
        new WeComRequestError('overloaded', closing ? 'shutting down' : 'too many requests'),
      );
    }
    active++;
    try {
      const given = request.body;
      const raw = (typeof given === 'function' ? await given(limits) : given) ?? '';
      // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no byte count.
      const size =
        typeof raw !== 'string' ? raw.byteLength : raw.length * 3 <= spec.maxBodyBytes ? 0 : utf8Length(raw);
      if (size > spec.maxBodyBytes) throw new WeComRequestError('body_too_large', 'body too large');
      const body = typeof raw === 'string' ? raw : decoder.decode(raw);
      // Headers are built on first use only: the bot and the router never read them.
      let parsedHeaders: Headers | undefined;
      const inbound: InboundRequest = {
        method,
        pathname: url.pathname,
        query: url.searchParams,
        get headers() {
          parsedHeaders ??= toHeaders(request.headers);
          return parsedHeaders;
        },
        body,
      };
      return await (method === 'GET' ? spec.onGet(inbound, context) : spec.onPost(inbound, context));
    } catch (error) {
      const response = errorResponse(error);
      if (isWeComError(error) && error.code === 'body_already_parsed') {
        // A mounting mistake repeats on every request: said once (per handler), with the way out.
        if (!mountingAdviceGiven) {
          mountingAdviceGiven = true;
          logger.error(`request body unusable: ${error.message}`, { path: url.pathname });
        }
      } else if (response.status >= 500 && response.body !== 'in_progress') {
        logger.error('request failed', { path: url.pathname, error: describe(error) });
      } else if (isCallbackRefusal(error, response.status)) {
        refusals.note(response.body, url.pathname);
      } else {
        logger.debug('request refused', { path: url.pathname, status: response.status, code: response.body });
      }
      return response;
    } finally {
      active--;
    }
  }

  return {
    receive,
    matches,
    maxBodyBytes: spec.maxBodyBytes,
    close(options = {}) {
      closing ??= Promise.resolve().then(() => spec.onClose?.(options.timeoutMs ?? 10_000));
      return closing;
    },
  };
}

/** A callback that failed its signature, decryption or routing: someone has the wrong key, or is probing. */
function isCallbackRefusal(error: unknown, status: number): boolean {
  if (status === 401 || status === 403) return true;
  if (!isWeComError(error)) return false;
  return (
    error.name === 'WeComCryptoError' || error.code === 'no_matching_app' || error.code === 'ambiguous_app'
  );
}

/** How often one refusal code is logged: a flood of bad signatures must not flood the log. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

/** Refused callbacks at warn, at most one line per code per interval, counting what it left out. */
class RefusalLog {
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(logger: Logger, now: () => number) {
    this.#logger = logger;
    this.#now = now;
  }

  note(code: string, path: string): void {
    const now = this.#now();
    const seen = this.#last.get(code);
    if (seen !== undefined && now - seen.at < REFUSAL_LOG_INTERVAL_MS) {
      seen.suppressed++;
      return;
    }
    this.#logger.warn('callback refused', {
      code,
      path,
      ...(seen?.suppressed ? { suppressed: seen.suppressed } : {}),
    });
    // Bounded: the codes are the SDK's own, a few dozen at most.
    this.#last.set(code, { at: now, suppressed: 0 });
  }
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { name: error.name, code: (error as { code?: unknown }).code, message: redact(error.message) };
  }
  return { message: redact(String(error)) };
}

/** Reads a required query parameter, or throws `missing_parameter` (400). */
export function requireParam(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === '') throw new WeComRequestError('missing_parameter', `missing ${name}`);
  return value;
}
