/**
 * The one error family of the SDK. It lives in the crypto package because that is the leaf every
 * other package depends on; `@maven/wecom-core` re-exports it and adds its subclasses.
 */

const BRAND = Symbol.for('@maven/wecom.error');

export interface WeComErrorOptions {
  cause?: unknown;
  /** HTTP status a receiving handler should answer with when this error ends a request. */
  status?: number;
}

export class WeComError extends Error {
  /** Stable, machine-readable code (snake_case). Never localised, never changes between versions. */
  readonly code: string;
  /** HTTP status to answer with when this error ends an inbound request. */
  readonly status: number;

  constructor(code: string, message: string, options: WeComErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WeComError';
    this.code = code;
    this.status = options.status ?? 500;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error of the family, even from another copy of the package (dual ESM/CJS install). */
export function isWeComError(value: unknown): value is WeComError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** The official WXBizMsgCrypt return codes, keyed by our stable string codes. */
export const CRYPTO_ERROR_CODES = {
  signature_mismatch: -40001,
  timestamp_out_of_window: -40001,
  parse_failed: -40002,
  compute_signature_failed: -40003,
  invalid_aes_key: -40004,
  receive_id_mismatch: -40005,
  encrypt_failed: -40006,
  decrypt_failed: -40007,
  invalid_buffer: -40008,
  encode_base64_failed: -40009,
  decode_base64_failed: -40010,
  gen_return_failed: -40011,
} as const;

export type CryptoErrorCode = keyof typeof CRYPTO_ERROR_CODES;

const STATUS: Partial<Record<CryptoErrorCode, number>> = {
  signature_mismatch: 401,
  timestamp_out_of_window: 401,
  invalid_aes_key: 500,
  encrypt_failed: 500,
  compute_signature_failed: 500,
  encode_base64_failed: 500,
  gen_return_failed: 500,
};

/** A failure of the WXBizMsgCrypt codec. `errcode` is the official -4000x code. */
export class WeComCryptoError extends WeComError {
  declare readonly code: CryptoErrorCode;
  readonly errcode: number;

  constructor(code: CryptoErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, status: STATUS[code] ?? 400 });
    this.name = 'WeComCryptoError';
    this.errcode = CRYPTO_ERROR_CODES[code];
  }
}

/** A configuration mistake, raised at construction time, never per request. */
export class WeComConfigError extends WeComError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('invalid_config', message, { ...options, status: 500 });
    this.name = 'WeComConfigError';
  }
}
