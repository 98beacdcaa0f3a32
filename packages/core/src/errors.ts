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
  | 'overloaded';

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
  overloaded: 503,
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
    super('api_error', `WeCom API ${path} failed: errcode ${errcode} ${redact(errmsg)}`, {
      ...options,
      status: 502,
    });
    this.name = 'WeComApiError';
    this.errcode = errcode;
    this.errmsg = redact(errmsg);
    this.path = path;
  }
}

/** An HTTP status outside 2xx, or a 2xx whose body is not the expected JSON. */
export class WeComHttpError extends WeComError {
  readonly httpStatus: number;
  readonly path: string;
  constructor(httpStatus: number, path: string, detail = '', options: { cause?: unknown } = {}) {
    super('http_error', `HTTP ${httpStatus} from ${path}${detail ? `: ${redact(detail)}` : ''}`, {
      ...options,
      status: 502,
    });
    this.name = 'WeComHttpError';
    this.httpStatus = httpStatus;
    this.path = path;
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
    super(
      'network_error',
      `network error calling ${path}${maybeDelivered ? ' (may have been delivered)' : ''}`,
      {
        ...options,
        status: 502,
      },
    );
    this.name = 'WeComNetworkError';
    this.path = path;
    this.maybeDelivered = maybeDelivered;
  }
}

export class WeComTimeoutError extends WeComError {
  readonly path: string;
  readonly maybeDelivered: boolean;
  constructor(path: string, timeoutMs: number, maybeDelivered = true, options: { cause?: unknown } = {}) {
    super('timeout', `timed out after ${timeoutMs} ms calling ${path}`, { ...options, status: 504 });
    this.name = 'WeComTimeoutError';
    this.path = path;
    this.maybeDelivered = maybeDelivered;
  }
}

const SECRET_PARAMS =
  /([?&](?:access_token|corpsecret|secret|response_code|key|token|encoding_aes_key|encodingAESKey)=)[^&#\s"']*/gi;
const registered = new Set<string>();

/**
 * Registers a secret value (token, EncodingAESKey, corpSecret, access_token) so `redact` removes
 * it wherever it appears. Values shorter than 6 characters are not registered (too many false hits).
 */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value === 'string' && value.length >= 6) {
    if (registered.size > 10_000) registered.clear();
    registered.add(value);
  }
}

/** Removes secret query parameters and registered secret values from a text. */
export function redact(text: string): string {
  let out = String(text).replace(SECRET_PARAMS, '$1[redacted]');
  for (const secret of registered) if (out.includes(secret)) out = out.replaceAll(secret, '[redacted]');
  return out;
}

/** The path of a URL without query or fragment, for error messages and logs. */
export function pathOf(url: string): string {
  try {
    return new URL(url, 'http://x').pathname;
  } catch {
    return redact(url.split('?')[0] ?? '');
  }
}
