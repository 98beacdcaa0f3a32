/**
 * `WsLeader`: one live long connection per bot across replicas. WeCom keeps one connection per
 * bot and kicks the older one (`disconnected_event`) when another subscribes, so replicas that all
 * connect kick each other in a loop. Each replica runs a `WsLeader` on the shared `Store`: the
 * lease holder runs a `WsConnection` and renews the lease every `checkEveryMs`; the others stand
 * by and try to take the lease at the same period. A crashed holder's lease lapses after
 * `leaseTtlMs`, so a standby connects within `leaseTtlMs + checkEveryMs` (plus one subscribe round
 * trip) of the holder's last renewal. A holder that is kicked drops its lease, waits one
 * `leaseTtlMs` (time for a real holder to show), and reconnects only if nobody holds it then.
 *
 *   const leader = new WsLeader({ store, connection: { botId, secret, WebSocket } });
 *   leader.onCallback(handler); await leader.start(); … await leader.close({ timeoutMs });
 *
 * It is a `WsTransport`: `respond`/`send` go through the current connection, and fail with
 * `not_connected` on a standby. Events: `leader`, `standby`, `subscribed`, `stopped`.
 */
import {
  checkKeys,
  type Logger,
  optionalNumber,
  redactingLogger,
  requireString,
  type Store,
  silentLogger,
  WeComConfigError,
} from '@maven/wecom-core';
import { EventEmitter } from 'eventemitter3';
import { WsConnection } from './connection.js';
import type { WsConnectionOptions } from './connection-options.js';
import { WeComWsError } from './errors.js';
import { newReqId, type WsAck } from './frames.js';
import { LeaderLease } from './lease.js';
import type { WsCallbackHandler, WsTransport } from './transport.js';

export interface WsLeaderOptions {
  /** Shared by the replicas (Redis: `@maven/wecom-redis`). */
  store: Store;
  connection: WsConnectionOptions;
  /** Store key of the lease. Default `ws-leader:<botId>`. */
  key?: string;
  /** Default 15 000 ms. */
  leaseTtlMs?: number;
  /** Renewal (holder) and take-over check (standby) period. Default leaseTtlMs / 3. */
  checkEveryMs?: number;
  /** This replica's id in the lease. Default random. */
  owner?: string;
  logger?: Logger;
}

export interface WsLeaderEvents {
  leader: () => void;
  standby: (info: { reason: string }) => void;
  subscribed: (info: { subscribes: number }) => void;
  stopped: (error: WeComWsError) => void;
}

const W = 'WsLeader';

export class WsLeader extends EventEmitter<WsLeaderEvents> implements WsTransport {
  readonly #lease: LeaderLease;
  readonly #connectionOptions: WsConnectionOptions;
  readonly #checkEveryMs: number;
  readonly #log: Logger;
  readonly #handlers = new Set<WsCallbackHandler>();
  #conn: WsConnection | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #checking: Promise<void> | undefined;
  #lastRenewed = 0;
  #quietUntil = 0;
  #closed = false;
  #stopped: WeComWsError | undefined;

  constructor(options: WsLeaderOptions) {
    super();
    checkKeys(W, options, ['store', 'connection', 'key', 'leaseTtlMs', 'checkEveryMs', 'owner', 'logger']);
    const store = options.store;
    if (store === null || typeof store !== 'object' || typeof store.setIfAbsent !== 'function')
      throw new WeComConfigError(`${W}: store must be a Store`);
    if (options.connection === null || typeof options.connection !== 'object')
      throw new WeComConfigError(`${W}: connection must be the WsConnection options`);
    const botId = requireString(W, 'connection.botId', options.connection.botId);
    const ttl = optionalNumber(W, 'leaseTtlMs', options.leaseTtlMs, 15_000, { min: 10 });
    this.#checkEveryMs = optionalNumber(W, 'checkEveryMs', options.checkEveryMs, ttl / 3, {
      min: 1,
      max: ttl / 2,
    });
    const owner = options.owner ?? newReqId('replica', Date.now());
    const key = options.key ?? `ws-leader:${botId}`;
    this.#lease = new LeaderLease(store, requireString(W, 'key', key), requireString(W, 'owner', owner), ttl);
    this.#connectionOptions = options.connection;
    this.#log = redactingLogger(options.logger ?? options.connection.logger ?? silentLogger);
    // Fail fast on bad connection options, before any lease is taken.
    new WsConnection(options.connection).removeAllListeners();
  }

  get isLeader(): boolean {
    return this.#conn !== undefined;
  }

  /** The connection while this replica leads. */
  get connection(): WsConnection | undefined {
    return this.#conn;
  }

  get owner(): string {
    return this.#lease.owner;
  }

  /** Upper bound, ms, from the holder's last renewal to a standby starting to connect. */
  get takeoverBoundMs(): number {
    return this.#lease.ttlMs + this.#checkEveryMs;
  }

  /** Starts the lease loop; resolves after the first check (as leader or as standby). */
  async start(): Promise<void> {
    if (this.#closed) throw new WeComWsError('connection_closed', 'the leader is closed');
    if (this.#timer === undefined) this.#timer = setInterval(() => void this.#check(), this.#checkEveryMs);
    await this.#check();
  }

  onCallback(handler: WsCallbackHandler): () => void {
    this.#handlers.add(handler);
    const off = this.#conn?.onCallback(handler);
    return () => {
      this.#handlers.delete(handler);
      off?.();
    };
  }

  respond(reqId: string, body: Record<string, unknown>, cmd?: string): Promise<WsAck> {
    if (this.#conn === undefined) return Promise.reject(this.#standbyError());
    return this.#conn.respond(reqId, body, cmd);
  }

  send(cmd: string, body?: Record<string, unknown>): Promise<WsAck> {
    if (this.#conn === undefined) return Promise.reject(this.#standbyError());
    return this.#conn.send(cmd, body);
  }

  /**
   * Stops the loop, drains and closes the connection, releases the lease. `releaseLease: false`
   * leaves the lease to lapse (what a crash does), for tests and hand-over drills.
   */
  async close(options: { timeoutMs?: number; releaseLease?: boolean } = {}): Promise<{ dropped: number }> {
    if (this.#closed) return { dropped: 0 };
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#checking;
    const conn = this.#conn;
    this.#conn = undefined;
    const result = conn
      ? await conn.close(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })
      : { dropped: 0 };
    if (options.releaseLease !== false) await this.#lease.release().catch(() => false);
    return result;
  }

  #standbyError(): WeComWsError {
    if (this.#stopped) return this.#stopped;
    return new WeComWsError('not_connected', 'this replica stands by: another one holds the connection');
  }

  #check(): Promise<void> {
    if (this.#checking === undefined) {
      this.#checking = this.#checkOnce()
        .catch((error: unknown) => this.#log.warn('ws leader: lease check failed', { error }))
        .finally(() => {
          this.#checking = undefined;
        });
    }
    return this.#checking;
  }

  async #checkOnce(): Promise<void> {
    if (this.#closed || this.#stopped) return;
    const now = Date.now();
    if (this.#conn !== undefined) {
      let ours: boolean;
      try {
        ours = await this.#lease.renew();
      } catch (error) {
        // The Store is down: keep the connection while the lease cannot have lapsed yet.
        ours = now - this.#lastRenewed < this.#lease.ttlMs - this.#checkEveryMs;
        this.#log.warn('ws leader: could not renew the lease', { error, keeping: ours });
      }
      if (ours) this.#lastRenewed = now;
      else await this.#stepDown('the lease went to another replica', false);
      return;
    }
    if (now < this.#quietUntil) return;
    if (!(await this.#lease.tryAcquire())) return;
    if (this.#closed) {
      await this.#lease.release();
      return;
    }
    this.#lastRenewed = now;
    this.#lead();
  }

  #lead(): void {
    const conn = new WsConnection(this.#connectionOptions);
    this.#conn = conn;
    for (const handler of this.#handlers) conn.onCallback(handler);
    conn.on('subscribed', (info) => this.emit('subscribed', info));
    conn.on('replaced', () => {
      if (this.#conn === conn)
        void this.#stepDown('another connection subscribed (disconnected_event)', true);
    });
    conn.on('stopped', (error) => {
      if (this.#conn !== conn) return;
      // A wrong secret is every replica's: stop here and let the lease lapse.
      this.#stopped = error;
      this.#conn = undefined;
      void this.#lease.release().catch(() => false);
      this.emit('stopped', error);
    });
    this.#log.info('ws leader: holding the lease, connecting', { owner: this.#lease.owner });
    this.emit('leader');
    conn.start().catch(() => {});
  }

  async #stepDown(reason: string, kicked: boolean): Promise<void> {
    const conn = this.#conn;
    this.#conn = undefined;
    if (kicked) {
      // Whoever kicked us may hold no lease; stay away one lease period before judging again.
      this.#quietUntil = Date.now() + this.#lease.ttlMs;
      await this.#lease.release().catch(() => false);
    }
    this.#log.warn('ws leader: standing by', { reason });
    this.emit('standby', { reason });
    await conn?.close({ timeoutMs: kicked ? 0 : 1000 });
  }
}
