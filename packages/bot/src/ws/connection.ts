/**
 * `WsConnection`: one bot's long connection (API shape: `WsTransport` in transport.ts).
 * open → `aibot_subscribe` → `ping` every heartbeatIntervalMs. A socket that delivers nothing for
 * deadAfterMs (no callback, no ping answer) is half-alive and is replaced. A lost socket reconnects
 * after a capped exponential delay with jitter. A wrong secret stops (`subscribe_refused`), 45009
 * waits ≥ rateLimitedDelayMs, other subscribe failures retry up to maxSubscribeFailures.
 * `disconnected_event` does not reconnect (state `replaced`; `WsLeader` decides). Frames of one
 * req_id go out in order, each after the previous answer (`AckQueue`).
 */
import type { Logger } from '@maven/wecom-core';
import { EventEmitter } from 'eventemitter3';
import { AckQueue } from './ack-queue.js';
import {
  backoffDelay,
  type ResolvedWsOptions,
  resolveWsOptions,
  type WsConnectionOptions,
} from './connection-options.js';
import { refusal, WeComWsError } from './errors.js';
import { DISCONNECTED_EVENT, decodeFrame, eventTypeOf, newReqId, WS_CMD, type WsAck } from './frames.js';
import { OPEN, type WebSocketLike } from './socket.js';
import { subscribeVerdict } from './subscribe.js';
import type { WsCallbackHandler, WsConnectionEvents, WsState, WsTransport } from './transport.js';

type Waiter = { resolve: () => void; reject: (error: WeComWsError) => void };

export class WsConnection extends EventEmitter<WsConnectionEvents> implements WsTransport {
  readonly #o: ResolvedWsOptions;
  readonly #log: Logger;
  readonly #queue: AckQueue;
  readonly #handlers = new Set<WsCallbackHandler>();
  readonly #waiters = new Set<Waiter>();
  #state: WsState = 'idle';
  #socket: WebSocketLike | undefined;
  /** Bumped for every socket: events of an older socket are ignored. */
  #gen = 0;
  #lastInbound = 0;
  #lostInRow = 0;
  #subscribeFailures = 0;
  #subscribes = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopError: WeComWsError | undefined;
  #subscribeReqId = '';

  constructor(options: WsConnectionOptions) {
    super();
    this.#o = resolveWsOptions(options);
    this.#log = this.#o.logger;
    this.#queue = new AckQueue({
      write: (text) => this.#write(text),
      ackTimeoutMs: this.#o.ackTimeoutMs,
      maxPerReqId: this.#o.maxQueuedPerReqId,
    });
  }

  get state(): WsState {
    return this.#state;
  }

  /** Successful subscribes so far (1 + reconnects). */
  get subscribes(): number {
    return this.#subscribes;
  }

  /** Frames queued or waiting for WeCom's answer. */
  get pending(): number {
    return this.#queue.size;
  }

  /** Connects (again, after `replaced`); resolves at the next subscribe success, rejects when stopped. */
  start(): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed')
      return Promise.reject(new WeComWsError('connection_closed', 'the connection is closed'));
    if (this.#state === 'stopped' && this.#stopError) return Promise.reject(this.#stopError);
    const ready = new Promise<void>((resolve, reject) => {
      if (this.#state === 'open') resolve();
      else this.#waiters.add({ resolve, reject });
    });
    if (this.#state === 'idle' || this.#state === 'replaced') {
      this.#lostInRow = 0;
      this.#subscribeFailures = 0;
      this.#connect();
    }
    return ready;
  }

  onCallback(handler: WsCallbackHandler): () => void {
    if (typeof handler !== 'function') throw new TypeError('onCallback: handler must be a function');
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** A reply frame to a callback (same req_id); resolves with WeCom's answer, in order per req_id. */
  respond(reqId: string, body: Record<string, unknown>, cmd: string = WS_CMD.respondMsg): Promise<WsAck> {
    const refused = refusal(this.#state, cmd);
    if (refused) return Promise.reject(refused);
    return this.#queue.enqueue(reqId, cmd, body);
  }

  /** A command of our own (`aibot_send_msg`, uploads…) under a new req_id. */
  send(cmd: string, body?: Record<string, unknown>): Promise<WsAck> {
    const refused = refusal(this.#state, cmd);
    if (refused) return Promise.reject(refused);
    return this.#queue.enqueue(newReqId(cmd, this.#o.now()), cmd, body);
  }

  /** Stops reconnecting, waits up to `timeoutMs` for frames in flight, then closes the socket. */
  async close(options: { timeoutMs?: number } = {}): Promise<{ dropped: number }> {
    if (this.#state === 'closed' || this.#state === 'closing') return { dropped: 0 };
    const timeoutMs = options.timeoutMs ?? 5000;
    this.#state = 'closing';
    clearTimeout(this.#timer);
    if (this.#socket !== undefined) await this.#queue.idle(timeoutMs);
    const dropped = this.#queue.rejectAll(
      () => new WeComWsError('connection_closed', 'closed before WeCom answered'),
    );
    this.#retire(1000, 'closing');
    this.#state = 'closed';
    this.#settle(new WeComWsError('connection_closed', 'the connection was closed'));
    this.emit('closed');
    return { dropped };
  }

  #write(text: string): boolean {
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== OPEN) return false;
    try {
      socket.send(text);
      return true;
    } catch {
      return false;
    }
  }

  #connect(): void {
    const gen = ++this.#gen;
    this.#state = 'connecting';
    let socket: WebSocketLike;
    try {
      socket = new this.#o.WebSocket(this.#o.url);
    } catch (error) {
      this.#log.warn('ws: could not open a socket', { error });
      this.#lost(gen, 'could not open a socket');
      return;
    }
    try {
      socket.binaryType = 'arraybuffer';
    } catch {
      // Some implementations have a fixed binaryType; frames are text anyway.
    }
    this.#socket = socket;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (gen !== this.#gen) return;
      this.#retire(4000, 'subscribe timeout');
      this.#lost(gen, 'no subscribe answer in time');
    }, this.#o.connectTimeoutMs);
    socket.addEventListener('open', () => {
      if (gen === this.#gen) this.#subscribe(gen);
    });
    socket.addEventListener('message', (event) => {
      if (gen === this.#gen) this.#onMessage(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (gen === this.#gen) this.#lost(gen, `socket closed (${event.code})`);
    });
    socket.addEventListener('error', () => {
      if (gen === this.#gen) {
        this.#retire(4000, 'error');
        this.#lost(gen, 'socket error');
      }
    });
  }

  #subscribe(gen: number): void {
    this.#state = 'subscribing';
    const body: Record<string, unknown> = { bot_id: this.#o.botId, secret: this.#o.secret };
    if (this.#o.scene !== undefined) body.scene = this.#o.scene;
    if (this.#o.plugVersion !== undefined) body.plug_version = this.#o.plugVersion;
    const reqId = newReqId(WS_CMD.subscribe, this.#o.now());
    this.#subscribeReqId = reqId;
    this.#queue.enqueue(reqId, WS_CMD.subscribe, body).then(
      () => {
        if (gen === this.#gen && this.#state === 'subscribing') this.#subscribed();
      },
      (error: WeComWsError) => {
        if (gen === this.#gen) this.#subscribeFailed(gen, error);
      },
    );
  }

  #subscribed(): void {
    clearTimeout(this.#timer);
    this.#state = 'open';
    this.#lostInRow = 0;
    this.#subscribeFailures = 0;
    this.#subscribes++;
    this.#lastInbound = this.#o.now();
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => this.#tick(), this.#o.heartbeatIntervalMs);
    this.#log.info('ws: subscribed', { botId: this.#o.botId, subscribes: this.#subscribes });
    this.#settle();
    this.emit('subscribed', { subscribes: this.#subscribes });
  }

  #subscribeFailed(gen: number, error: WeComWsError): void {
    this.#retire(4000, 'subscribe failed');
    if (error.code !== 'ack_error' || error.ack === undefined) {
      this.#lost(gen, 'no subscribe answer');
      return;
    }
    this.#subscribeFailures++;
    const verdict = subscribeVerdict(error.ack, this.#subscribeFailures, this.#o);
    if ('stop' in verdict) {
      this.#stop(verdict.stop);
      return;
    }
    this.#log.warn('ws: subscribe failed, retrying', { errcode: error.errcode, delayMs: verdict.delayMs });
    this.#wait(`subscribe failed (errcode ${error.errcode})`, this.#subscribeFailures, verdict.delayMs);
  }

  #onMessage(data: unknown): void {
    this.#lastInbound = this.#o.now();
    const decoded = decodeFrame(data);
    if (decoded === undefined) {
      this.#log.warn('ws: ignored a frame that is not a WeCom frame');
      return;
    }
    if (decoded.kind === 'ack') {
      // Open at once: a callback may follow in the same read, before the ack's promise settles.
      if (
        decoded.ack.reqId === this.#subscribeReqId &&
        decoded.ack.errcode === 0 &&
        this.#state === 'subscribing'
      )
        this.#subscribed();
      if (!this.#queue.handleAck(decoded.ack))
        this.#log.debug('ws: answer for an unknown req_id', { reqId: decoded.ack.reqId });
      return;
    }
    const frame = decoded.frame;
    if (eventTypeOf(frame) === DISCONNECTED_EVENT) {
      this.#replaced();
      return;
    }
    for (const handler of this.#handlers) {
      try {
        const result = handler(frame);
        if (result instanceof Promise) result.catch((error: unknown) => this.#handlerFailed(error));
      } catch (error) {
        this.#handlerFailed(error);
      }
    }
  }

  #handlerFailed(error: unknown): void {
    this.#log.error('ws: a callback handler failed', { error });
  }

  #tick(): void {
    if (this.#state !== 'open' && this.#state !== 'closing') return;
    const silentFor = this.#o.now() - this.#lastInbound;
    if (silentFor >= this.#o.deadAfterMs) {
      this.#log.warn('ws: half-alive connection (nothing received), replacing it', { silentMs: silentFor });
      const gen = this.#gen;
      this.#retire(4000, 'half-alive');
      this.#lost(gen, 'half-alive: no frame received');
      return;
    }
    this.send(WS_CMD.ping).catch((error: WeComWsError) => {
      if (error.code === 'ack_error')
        this.#log.warn('ws: ping answered with an error', { errcode: error.errcode });
    });
  }

  #replaced(): void {
    this.#log.warn('ws: another connection subscribed for this bot (disconnected_event); not reconnecting', {
      botId: this.#o.botId,
    });
    this.#retire(1000, 'replaced');
    this.#queue.rejectAll(
      () => new WeComWsError('connection_replaced', 'another connection took over this bot'),
    );
    if (this.#state !== 'closing') this.#state = 'replaced';
    this.emit('replaced');
  }

  /** The socket `gen` is gone (callers have retired it or saw it close): reconnect after a delay. */
  #lost(gen: number, reason: string): void {
    if (this.#socket !== undefined) {
      if (gen !== this.#gen) return;
      this.#retire(4000, reason);
    }
    this.#queue.rejectAll(() => new WeComWsError('connection_lost', `the connection was lost (${reason})`));
    if (this.#state !== 'connecting' && this.#state !== 'subscribing' && this.#state !== 'open') return;
    this.#lostInRow++;
    if (this.#lostInRow > this.#o.backoff.maxAttempts) {
      this.#stop(
        new WeComWsError('reconnect_exhausted', `the connection was lost ${this.#lostInRow} times in a row`),
      );
      return;
    }
    this.#wait(reason, this.#lostInRow, backoffDelay(this.#lostInRow, this.#o.backoff, this.#o.random));
  }

  #wait(reason: string, attempt: number, delayMs: number): void {
    this.#state = 'waiting';
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (this.#state === 'waiting') this.#connect();
    }, delayMs);
    this.#log.info('ws: reconnecting', { reason, attempt, delayMs });
    this.emit('lost', { reason, attempt, delayMs });
  }

  #stop(error: WeComWsError): void {
    clearTimeout(this.#timer);
    this.#retire(1000, 'stopped');
    this.#state = 'stopped';
    this.#stopError = error;
    this.#log.error('ws: connection stopped', { error });
    this.#settle(error);
    this.emit('stopped', error);
  }

  /** Detaches from the current socket (its later events are ignored) and closes it. */
  #retire(code: number, reason: string): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#gen++;
    clearInterval(this.#heartbeat);
    if (this.#state !== 'closing') clearTimeout(this.#timer);
    if (socket === undefined) return;
    try {
      socket.close(code, reason);
    } catch {
      // Already closed.
    }
  }

  #settle(error?: WeComWsError): void {
    for (const w of this.#waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
    this.#waiters.clear();
  }
}
