import { WeComError } from '@maven/wecom-core';

/**
 * `store_unavailable`: Redis did not answer in time, the connection is down or refused, the client
 * is closed, or Redis cannot serve right now (LOADING, READONLY, credentials refused...).
 * `store_error`: Redis answered with an error about the command or the data (WRONGTYPE, ERR...),
 * or with a reply the store does not understand.
 */
export type StoreErrorCode = 'store_unavailable' | 'store_error';

export type StoreOperation =
  | 'get'
  | 'set'
  | 'setIfAbsent'
  | 'compareAndSet'
  | 'delete'
  | 'compareAndDelete'
  | 'appendLine'
  | 'close';

export interface WeComStoreErrorOptions {
  operation: StoreOperation;
  /** True when a write may have reached Redis although the call failed (timeout, lost connection). */
  maybeApplied?: boolean;
  cause?: unknown;
}

/**
 * A store operation failed. The message names the operation and the reason; it never carries the
 * Redis password, URL credentials, keys or values. `cause` is a sanitised copy of the client's
 * error (ioredis errors carry the AUTH arguments, so the original is never attached).
 */
export class WeComStoreError extends WeComError {
  declare readonly code: StoreErrorCode;
  readonly operation: StoreOperation;
  readonly maybeApplied: boolean;

  constructor(code: StoreErrorCode, message: string, options: WeComStoreErrorOptions) {
    super(code, message, { status: 503, cause: options.cause });
    this.name = 'WeComStoreError';
    this.operation = options.operation;
    this.maybeApplied = options.maybeApplied ?? false;
  }
}
