/**
 * The error family. The base class lives in @maven/wecom-crypto (the leaf package); core adds the
 * request, API, HTTP, network and timeout errors. Messages never carry secrets: URLs and texts
 * pass through `redact` before they reach a message.
 */
import { WeComError } from '@maven/wecom-crypto';

export {
  CRYPTO_ERROR_CODES,
  type CryptoErrorCode,
  isWeComError,
  WeComConfigError,
  WeComCryptoError,
  WeComError,
  type WeComErrorOptions,
} from '@maven/wecom-crypto';

export type RequestErrorCode =
  | 'missing_parameter'
  | 'bad_request'
  | 'body_too_large'
  | 'method_not_allowed'
  | 'not_found'
  | 'forbidden'
  | 'no_matching_app'
  | 'ambiguous_app'
  | 'body_already_parsed'
  | 'replayed_request'
  | 'request_timeout'
  | 'overloaded'
  | 'in_progress';

const REQUEST_STATUS: Record<RequestErrorCode, number> = {
  missing_parameter: 400,
  bad_request: 400,
  body_too_large: 413,
  method_not_allowed: 405,
  not_found: 404,
  forbidden: 403,
  no_matching_app: 401,
  ambiguous_app: 400,
  body_already_parsed: 500,
  replayed_request: 401,
  request_timeout: 408,
  overloaded: 503,
  /** A re-delivery of a callback still being handled elsewhere: WeCom tries again later. */
  in_progress: 503,
};

/** An inbound request that cannot be served; `status` is the HTTP answer. */
export class WeComRequestError extends WeComError {
  declare readonly code: RequestErrorCode;
  constructor(code: RequestErrorCode, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(code, message, { ...options, status: options.status ?? REQUEST_STATUS[code] });
    this.name = 'WeComRequestError';
  }
}

/** WeCom answered with a non-zero errcode. */
export class WeComApiError extends WeComError {
  readonly errcode: number;
  readonly errmsg: string;
  /** The API path (no query string, no token). */
  readonly path: string;
  constructor(errcode: number, errmsg: string, path: string, options: { cause?: unknown } = {}) {
    const safePath = pathOf(path);
    super('api_error', `WeCom API ${safePath} failed: errcode ${errcode} ${redact(errmsg)}`, {
      ...options,
      status: 502,
    });
    this.name = 'WeComApiError';
    this.errcode = errcode;
    this.errmsg = redact(errmsg);
    this.path = safePath;
  }
}

/** An HTTP status outside 2xx, or a 2xx whose body is not the expected JSON. */
export class WeComHttpError extends WeComError {
  readonly httpStatus: number;
  readonly path: string;
  constructor(httpStatus: number, path: string, detail = '', options: { cause?: unknown } = {}) {
    const safePath = pathOf(path);
    super('http_error', `HTTP ${httpStatus} from ${safePath}${detail ? `: ${redact(detail)}` : ''}`, {
      ...options,
      status: 502,
    });
    this.name = 'WeComHttpError';
    this.httpStatus = httpStatus;
    this.path = safePath;
  }
}

/**
 * The request did not complete. `maybeDelivered` is true when the request may have reached the
 * server (the connection broke after sending), so a single-use call must not be blindly resent.
 */
export class WeComNetworkError extends WeComError {
  readonly path: string;
  readonly maybeDelivered: boolean;
  constructor(path: string, maybeDelivered: boolean, options: { cause?: unknown } = {}) {
    const safePath = pathOf(path);
    super(
      'network_error',
      `network error calling ${safePath}${maybeDelivered ? ' (may have been delivered)' : ''}`,
      {
        ...options,
        status: 502,
      },
    );
    this.name = 'WeComNetworkError';
    this.path = safePath;
    this.maybeDelivered = maybeDelivered;
  }
}

export class WeComTimeoutError extends WeComError {
  readonly path: string;
  readonly maybeDelivered: boolean;
  constructor(path: string, timeoutMs: number, maybeDelivered = true, options: { cause?: unknown } = {}) {
    const safePath = pathOf(path);
    super('timeout', `timed out after ${timeoutMs} ms calling ${safePath}`, { ...options, status: 504 });
    this.name = 'WeComTimeoutError';
    this.path = safePath;
    this.maybeDelivered = maybeDelivered;
  }
}

/** Query/form parameters and JSON keys whose values are secrets. */
const SECRET_NAMES =
  'access_token|corpsecret|corp_secret|secret|response_code|key|token|encoding_aes_key|encodingAESKey|aeskey';
// `name=value` in a query string, a form body or free text (not `monkey=`: the name must start a word).
const SECRET_PARAMS = new RegExp(`((?:^|[?&\\s;,(])(?:${SECRET_NAMES})=)[^&#\\s"'<>]*`, 'gi');
// `"name": "value"` in JSON text.
const SECRET_JSON = new RegExp(`("(?:${SECRET_NAMES})"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*(")`, 'gi');

/** Most registered values kept; the oldest go first (old access tokens have long expired). */
const MAX_REGISTERED = 10_000;
const registered = new Set<string>();
/** Registered values, longest first, so a secret containing another is removed whole. */
let ordered: string[] | undefined;

function add(value: string): void {
  if (registered.has(value)) return;
  if (registered.size >= MAX_REGISTERED) {
    const oldest = registered.values().next().value;
    if (oldest !== undefined) registered.delete(oldest);
  }
  registered.add(value);
  ordered = undefined;
}

/**
 * Registers a secret value (token, EncodingAESKey, corpSecret, access_token) so `redact` removes
 * it wherever it appears, raw or URL-encoded. Values shorter than 6 characters are not registered
 * (too many false hits). At most 10,000 values are kept; the oldest registration goes first.
 */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.length < 6) return;
  add(value);
  const encoded = encodeURIComponent(value);
  if (encoded !== value) add(encoded);
}

/**
 * Removes secret query parameters (`access_token=…`, `corpsecret=…`, `response_code=…`, `key=…`
 * and the like), the same keys in JSON text, and registered secret values from a text.
 */
export function redact(text: string): string {
  let out = String(text).replace(SECRET_PARAMS, '$1[redacted]').replace(SECRET_JSON, '$1[redacted]$2');
  if (registered.size === 0) return out;
  ordered ??= [...registered].sort((a, b) => b.length - a.length);
  for (const secret of ordered) if (out.includes(secret)) out = out.replaceAll(secret, '[redacted]');
  return out;
}

/** The path of a URL without query or fragment (and without registered secrets), for messages and logs. */
export function pathOf(url: string): string {
  let path: string;
  try {
    path = new URL(url, 'http://x').pathname;
  } catch {
    path = url.split(/[?#]/, 1)[0] ?? '';
  }
  return redact(path);
}
