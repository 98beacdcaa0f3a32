/**
 * Thin drivers over the two Redis clients. The store never imports either library: it works on the
 * client object the user passes in, described here structurally, so neither is a runtime dependency.
 */
import { WeComConfigError } from '@maven/wecom-core';
import type { LuaScript } from './scripts.js';

/** The part of an ioredis `Redis` (or `Cluster`) the store uses. */
export interface IoRedisClientLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, expiry: 'PX', ttlMs: number, condition: 'NX'): Promise<'OK' | null>;
  set(key: string, value: string, expiry: 'PX', ttlMs: number): Promise<'OK'>;
  del(key: string): Promise<number>;
  evalsha(sha1: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

interface NodeRedisEvalOptions {
  keys: string[];
  arguments: string[];
}

interface NodeRedisSetOptions {
  expiration: { type: 'PX'; value: number };
  condition?: 'NX';
}

/** The part of a node-redis v5 client (or cluster) the store uses. */
export interface NodeRedisClientLike {
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options: NodeRedisSetOptions): Promise<unknown>;
  del(key: string): Promise<number>;
  evalSha(sha1: string, options: NodeRedisEvalOptions): Promise<unknown>;
  eval(script: string, options: NodeRedisEvalOptions): Promise<unknown>;
  close?(): Promise<unknown>;
  destroy?(): void;
}

export type RedisClientLike = IoRedisClientLike | NodeRedisClientLike;
export type RedisClientKind = 'ioredis' | 'node-redis';

/** The four commands (plus scripts) the store is built on, the same for both clients. */
export interface RedisDriver {
  readonly kind: RedisClientKind;
  get(key: string): Promise<string | undefined>;
  /** SET key value PX ttl [NX]; true when written. */
  set(key: string, value: string, ttlMs: number, onlyIfAbsent: boolean): Promise<boolean>;
  del(key: string): Promise<boolean>;
  /** EVALSHA, and EVAL when the server does not have the script (NOSCRIPT). */
  eval(script: LuaScript, keys: string[], args: string[]): Promise<unknown>;
  quit(): Promise<void>;
  disconnect(): void;
  /** The client's connection state, for error messages ('ready', 'reconnecting', ...). */
  state(): string | undefined;
  /** Passwords found in the client's options, to keep out of messages. */
  secrets(): string[];
}

/** A reply of a shape the store does not understand (e.g. a type mapping turned strings into maps). */
export class UnexpectedReplyError extends Error {
  constructor(what: string) {
    super(`unexpected reply to ${what}`);
    this.name = 'UnexpectedReplyError';
  }
}

const decoder = new TextDecoder();

function text(reply: unknown, what: string): string | undefined {
  if (reply === null || reply === undefined) return undefined;
  if (typeof reply === 'string') return reply;
  if (reply instanceof Uint8Array) return decoder.decode(reply);
  throw new UnexpectedReplyError(what);
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

async function withFallback(
  bySha: () => Promise<unknown>,
  bySource: () => Promise<unknown>,
): Promise<unknown> {
  try {
    return await bySha();
  } catch (error) {
    // A restarted server, a failover or another cluster node does not have the script yet.
    if (isNoScript(error)) return bySource();
    throw error;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function passwordsOf(options: Record<string, unknown> | undefined): string[] {
  if (!options) return [];
  const found: string[] = [];
  if (typeof options.password === 'string' && options.password) found.push(options.password);
  if (typeof options.url === 'string') {
    try {
      const url = new URL(options.url);
      if (url.password) found.push(url.password, decodeURIComponent(url.password));
    } catch {
      // not a URL: nothing to extract
    }
  }
  return found;
}

function ioredisDriver(client: IoRedisClientLike): RedisDriver {
  const raw = client as unknown as Record<string, unknown>;
  return {
    kind: 'ioredis',
    get: async (key) => text(await client.get(key), 'GET'),
    set: async (key, value, ttlMs, onlyIfAbsent) =>
      (onlyIfAbsent
        ? await client.set(key, value, 'PX', ttlMs, 'NX')
        : await client.set(key, value, 'PX', ttlMs)) === 'OK',
    del: async (key) => (await client.del(key)) > 0,
    eval: (script, keys, args) =>
      withFallback(
        () => client.evalsha(script.sha1, keys.length, ...keys, ...args),
        () => client.eval(script.source, keys.length, ...keys, ...args),
      ),
    quit: async () => {
      await client.quit();
    },
    disconnect: () => client.disconnect(),
    state: () => (typeof raw.status === 'string' ? raw.status : undefined),
    secrets: () => {
      const options = record(raw.options);
      // Cluster keeps the node options under redisOptions.
      return [...passwordsOf(options), ...passwordsOf(record(options?.redisOptions))];
    },
  };
}

function nodeRedisDriver(client: NodeRedisClientLike): RedisDriver {
  const raw = client as unknown as Record<string, unknown>;
  return {
    kind: 'node-redis',
    get: async (key) => text(await client.get(key), 'GET'),
    set: async (key, value, ttlMs, onlyIfAbsent) => {
      const options: NodeRedisSetOptions = { expiration: { type: 'PX', value: ttlMs } };
      if (onlyIfAbsent) options.condition = 'NX';
      const reply = text(await client.set(key, value, options), 'SET');
      return reply === 'OK';
    },
    del: async (key) => (await client.del(key)) > 0,
    eval: (script, keys, args) =>
      withFallback(
        () => client.evalSha(script.sha1, { keys, arguments: args }),
        () => client.eval(script.source, { keys, arguments: args }),
      ),
    quit: async () => {
      if (typeof client.close === 'function') await client.close();
      else await (raw.quit as () => Promise<unknown>).call(client);
    },
    disconnect: () => {
      if (typeof client.destroy === 'function') client.destroy();
    },
    state: () => {
      if (raw.isOpen === false) return 'closed';
      if (raw.isReady === true) return 'ready';
      if (raw.isOpen === true) return 'not ready: connecting or reconnecting';
      return undefined;
    },
    secrets: () => {
      const options = record(raw.options);
      return [...passwordsOf(options), ...passwordsOf(record(options?.defaults))];
    },
  };
}

/** Picks the driver by the client's shape (node-redis has `evalSha`, ioredis `evalsha`). */
export function createDriver(client: unknown, kind?: RedisClientKind): RedisDriver {
  const c = record(client);
  if (!c) throw new WeComConfigError('client must be an ioredis or node-redis (v5) client');
  const detected: RedisClientKind | undefined =
    typeof c.evalSha === 'function' ? 'node-redis' : typeof c.evalsha === 'function' ? 'ioredis' : undefined;
  const chosen = kind ?? detected;
  if (chosen === undefined)
    throw new WeComConfigError(
      'client must be an ioredis or node-redis (v5) client: it has neither evalsha (ioredis) nor evalSha (node-redis)',
    );
  const needs =
    chosen === 'ioredis'
      ? ['get', 'set', 'del', 'evalsha', 'eval']
      : ['get', 'set', 'del', 'evalSha', 'eval'];
  const missing = needs.filter((name) => typeof c[name] !== 'function');
  if (missing.length > 0)
    throw new WeComConfigError(`client is not a usable ${chosen} client: missing ${missing.join(', ')}`);
  return chosen === 'ioredis'
    ? ioredisDriver(client as IoRedisClientLike)
    : nodeRedisDriver(client as NodeRedisClientLike);
}
