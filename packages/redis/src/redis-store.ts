import {
  type AppendLineOptions,
  type Logger,
  maxLinesOf,
  redact,
  registerSecret,
  type Store,
  type StoreSetOptions,
  WeComConfigError,
} from '@maven/wecom-core';
import {
  createDriver,
  type RedisClientKind,
  type RedisClientLike,
  type RedisDriver,
  UnexpectedReplyError,
} from './drivers.js';
import { type StoreErrorCode, type StoreOperation, WeComStoreError } from './errors.js';
import { APPEND_LINE, COMPARE_AND_DELETE, COMPARE_AND_SET } from './scripts.js';

export interface RedisStoreOptions {
  /**
   * A connected ioredis (`new Redis(...)`, `new Cluster(...)`) or node-redis v5 (`createClient(...)`
   * after `connect()`) client. It stays the user's: `close()` does not quit it unless `ownsClient`.
   */
  client: RedisClientLike;
  /** Which library the client comes from. Default: detected from the client's shape. */
  kind?: RedisClientKind;
  /** Prepended to every key. Default 'wecom:'. */
  prefix?: string;
  /**
   * Most time one store operation may take, in ms, including the time a client spends queueing the
   * command while it reconnects. Default 1000.
   */
  commandTimeoutMs?: number;
  /** Upper bound for any TTL in ms (the same safety net as the memory store). Default 24 h. */
  maxTtlMs?: number;
  /** When true, `close()` quits the client too. Default false. */
  ownsClient?: boolean;
  /** Receives one warning when Redis becomes unavailable and one info line when it is back. */
  logger?: Logger;
}

const OPTION_KEYS = new Set([
  'client',
  'kind',
  'prefix',
  'commandTimeoutMs',
  'maxTtlMs',
  'ownsClient',
  'logger',
]);

const TIMED_OUT = Symbol('timed out');

/** Reply errors that mean "Redis cannot serve now", not "this command is wrong". */
const UNAVAILABLE_REPLY =
  /^(?:WRONGPASS|NOAUTH|NOPERM|LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|OOM|MISCONF|NOREPLICAS|ERR max number of clients)\b/;
/** Redis error replies start with an upper-case code (ERR, WRONGTYPE, NOSCRIPT...). */
const REPLY_CODE = /^([A-Z][A-Z_]+)(?:\s|$)/;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;

/**
 * The core `Store` on Redis, so several replicas share dedup, stream and response_url state and
 * access tokens. Every write carries its TTL in the same command (SET ... PX ... [NX]);
 * compare-and-set and compare-and-delete are Lua scripts, so no read-then-write race exists.
 * Every operation is bounded by `commandTimeoutMs` and fails with a `WeComStoreError`.
 */
export class RedisStore implements Store {
  readonly #driver: RedisDriver;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #maxTtlMs: number;
  readonly #ownsClient: boolean;
  readonly #logger: Logger | undefined;
  readonly #secrets: string[];
  #closed = false;
  #available = true;

  constructor(options: RedisStoreOptions) {
    if (typeof options !== 'object' || options === null)
      throw new WeComConfigError('RedisStore needs an options object with a client');
    for (const key of Object.keys(options))
      if (!OPTION_KEYS.has(key)) throw new WeComConfigError(`unknown RedisStore option: ${key}`);
    if (options.kind !== undefined && options.kind !== 'ioredis' && options.kind !== 'node-redis')
      throw new WeComConfigError("kind must be 'ioredis' or 'node-redis'");
    this.#driver = createDriver(options.client, options.kind);
    const prefix = options.prefix ?? 'wecom:';
    if (typeof prefix !== 'string') throw new WeComConfigError('prefix must be a string');
    this.#prefix = prefix;
    this.#timeoutMs = positive(options.commandTimeoutMs, 1000, 'commandTimeoutMs');
    this.#maxTtlMs = positive(options.maxTtlMs, 24 * 3600_000, 'maxTtlMs');
    if (options.ownsClient !== undefined && typeof options.ownsClient !== 'boolean')
      throw new WeComConfigError('ownsClient must be a boolean');
    this.#ownsClient = options.ownsClient ?? false;
    this.#logger = options.logger;
    this.#secrets = this.#driver.secrets().filter((s) => s.length >= 3);
    // Core's redact() then keeps the password out of every SDK log line too.
    for (const secret of this.#secrets) registerSecret(secret);
  }

  /** The client library in use. */
  get kind(): RedisClientKind {
    return this.#driver.kind;
  }

  /** The prefix in front of every key. */
  get prefix(): string {
    return this.#prefix;
  }

  async get(key: string): Promise<string | undefined> {
    const k = this.#key(key);
    return this.#run('get', false, (d) => d.get(k));
  }

  async set(key: string, value: string, options: StoreSetOptions): Promise<void> {
    const k = this.#key(key);
    const ttl = this.#ttl(options);
    await this.#run('set', true, (d) => d.set(k, value, ttl, false));
  }

  async setIfAbsent(key: string, value: string, options: StoreSetOptions): Promise<boolean> {
    const k = this.#key(key);
    const ttl = this.#ttl(options);
    return this.#run('setIfAbsent', true, (d) => d.set(k, value, ttl, true));
  }

  async compareAndSet(
    key: string,
    expected: string | undefined,
    value: string,
    options: StoreSetOptions,
  ): Promise<boolean> {
    const k = this.#key(key);
    const ttl = this.#ttl(options);
    if (expected === undefined) return this.#run('compareAndSet', true, (d) => d.set(k, value, ttl, true));
    return this.#run('compareAndSet', true, async (d) =>
      flag(await d.eval(COMPARE_AND_SET, [k], [expected, value, String(ttl)])),
    );
  }

  async delete(key: string): Promise<boolean> {
    const k = this.#key(key);
    return this.#run('delete', true, (d) => d.del(k));
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    const k = this.#key(key);
    return this.#run('compareAndDelete', true, async (d) =>
      flag(await d.eval(COMPARE_AND_DELETE, [k], [expected])),
    );
  }

  async appendLine(key: string, line: string, options: AppendLineOptions): Promise<void> {
    const k = this.#key(key);
    const ttl = this.#ttl(options);
    const max = maxLinesOf(options);
    await this.#run('appendLine', true, (d) => d.eval(APPEND_LINE, [k], [line, String(max), String(ttl)]));
  }

  /**
   * Stops the store: later operations fail with `store_unavailable`. The client is quit only when
   * the store owns it (`ownsClient: true`); a client the user passed in stays open for them.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ownsClient) return;
    try {
      await this.#bounded(this.#driver.quit());
    } catch {
      // QUIT could not be sent (Redis down) or timed out: drop the connection instead.
      this.#driver.disconnect();
    }
  }

  #key(key: string): string {
    if (typeof key !== 'string') throw new WeComConfigError('store keys must be strings');
    return this.#prefix + key;
  }

  #ttl(options: StoreSetOptions): number {
    const ttl = options?.ttlMs;
    if (typeof ttl !== 'number' || !(ttl > 0)) throw new WeComConfigError('ttlMs must be a positive number');
    return Math.min(Math.ceil(ttl), this.#maxTtlMs);
  }

  /** Races `work` against the command timeout; the timer is always cleared. */
  async #bounded<T>(work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // When the timeout wins, the client may still reject later: that must not be an unhandled rejection.
    work.catch(() => {});
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(TIMED_OUT), this.#timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #run<T>(
    operation: StoreOperation,
    write: boolean,
    command: (d: RedisDriver) => Promise<T>,
  ): Promise<T> {
    if (this.#closed)
      throw new WeComStoreError('store_unavailable', `Redis store ${operation} failed: the store is closed`, {
        operation,
      });
    try {
      const value = await this.#bounded(Promise.resolve().then(() => command(this.#driver)));
      if (!this.#available) {
        this.#available = true;
        this.#logger?.info('Redis store is available again', { operation });
      }
      return value;
    } catch (error) {
      const failure = this.#failure(operation, write, error);
      if (failure.code === 'store_unavailable' && this.#available) {
        this.#available = false;
        this.#logger?.warn(
          'Redis store unavailable; dedup fails open and token refresh falls back to per-process single-flight until it is back',
          { operation, error: failure },
        );
      }
      throw failure;
    }
  }

  #failure(operation: StoreOperation, write: boolean, error: unknown): WeComStoreError {
    if (error === TIMED_OUT) {
      const state = this.#driver.state();
      return new WeComStoreError(
        'store_unavailable',
        `Redis store ${operation} timed out after ${this.#timeoutMs} ms${state ? ` (client ${state})` : ''}`,
        { operation, maybeApplied: write },
      );
    }
    const name = error instanceof Error ? error.name : 'Error';
    const message = this.#clean(error instanceof Error ? error.message : String(error));
    const cause = sanitisedCopy(error, name, message);
    if (error instanceof UnexpectedReplyError)
      return new WeComStoreError('store_error', `Redis store ${operation} failed: ${message}`, {
        operation,
        cause,
      });
    const reply = REPLY_CODE.exec(message)?.[1];
    if (reply === undefined) {
      // Not an answer from Redis: the connection is down, refused or closed.
      return new WeComStoreError(
        'store_unavailable',
        `Redis store ${operation} failed: ${message || name} (connection unavailable)`,
        { operation, maybeApplied: write, cause },
      );
    }
    let code: StoreErrorCode = UNAVAILABLE_REPLY.test(message) ? 'store_unavailable' : 'store_error';
    let text = `Redis store ${operation} failed: ${message}`;
    if (reply === 'WRONGPASS')
      text = `Redis store ${operation} failed: Redis refused the client's credentials (WRONGPASS); check the username and password the client was created with`;
    else if (reply === 'NOAUTH')
      text = `Redis store ${operation} failed: Redis requires authentication (NOAUTH): the client has no password or its AUTH failed; check the username and password the client was created with`;
    else if (reply === 'NOPERM')
      text = `Redis store ${operation} failed: the Redis user lacks a permission (NOPERM); allow get, set, del, eval and evalsha on the prefix`;
    if (reply === 'NOSCRIPT') code = 'store_error';
    return new WeComStoreError(code, text, { operation, cause });
  }

  /** Removes URL credentials, the client's password and registered SDK secrets from a text. */
  #clean(text: string): string {
    let out = text.replace(URL_CREDENTIALS, '$1[redacted]@');
    for (const secret of this.#secrets) out = out.replaceAll(secret, '[redacted]');
    return redact(out);
  }
}

/** Creates a `RedisStore` on the client in `options` (see `RedisStoreOptions`). */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new WeComConfigError(`${name} must be a positive number of milliseconds`);
  return value;
}

function flag(reply: unknown): boolean {
  // A type mapping may turn integers into bigints or strings.
  if (reply === 1 || reply === 1n || reply === '1') return true;
  if (reply === 0 || reply === 0n || reply === '0') return false;
  throw new UnexpectedReplyError('a script');
}

/** The client's error without its extra properties (ioredis attaches the AUTH arguments). */
function sanitisedCopy(error: unknown, name: string, message: string): Error {
  const copy = new Error(message);
  copy.name = name;
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string') Object.defineProperty(copy, 'code', { value: code, enumerable: true });
  return copy;
}
