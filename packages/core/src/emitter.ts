/**
 * The one listener dispatcher of the bot and the router: typed events on eventemitter3, listeners
 * that may be async (the pipeline awaits them), one `error` event with one signature.
 */
import { EventEmitter } from 'eventemitter3';
import type { Logger } from './logger.js';

type AnyListener = (...args: unknown[]) => unknown;

/** Where an `error` event came from; the second argument of every `error` listener. */
export interface ErrorInfo {
  /**
   * 'listener': a listener threw or rejected; 'store': shared state failed; 'stream': a stream write
   * failed; 'reply': a reply listener threw.
   */
  phase: 'listener' | 'store' | 'stream' | 'reply';
  /** The callback's event name (`text`, `event.enter_chat`, …). */
  type?: string;
  msgId?: string;
  /** The app that received the callback (router). */
  app?: string;
  chatId?: string;
}

/** What a dispatch did: how many listeners ran and what they threw. */
export interface ListenerRun {
  count: number;
  errors: unknown[];
}

/** Shared, never mutated: the answer when no listener is registered. */
const NO_RUN: ListenerRun = Object.freeze({ count: 0, errors: Object.freeze([]) as unknown as unknown[] });

/**
 * eventemitter3 whose `listeners(name)` can be called directly: a listener registered with a
 * context or with `once` is stored as a wrapper that keeps both, and `off(name, fn)` still finds it.
 */
export class WeComEmitter<Events extends EventEmitter.ValidEventTypes> extends EventEmitter<Events> {
  /** Listener → wrappers registered for it (once / explicit context), so off() finds them. */
  readonly #wrappers = new Map<AnyListener, Set<AnyListener>>();

  override on<T extends EventEmitter.EventNames<Events>>(
    event: T,
    fn: EventEmitter.EventListener<Events, T>,
    context?: unknown,
  ): this {
    if (typeof fn !== 'function') throw new TypeError('a listener must be a function');
    if (context === undefined) return super.on(event, fn);
    const wrapper = ((...args: unknown[]) =>
      (fn as AnyListener).apply(context, args)) as EventEmitter.EventListener<Events, T>;
    this.#track(fn, wrapper);
    return super.on(event, wrapper);
  }

  override addListener<T extends EventEmitter.EventNames<Events>>(
    event: T,
    fn: EventEmitter.EventListener<Events, T>,
    context?: unknown,
  ): this {
    return this.on(event, fn, context);
  }

  override once<T extends EventEmitter.EventNames<Events>>(
    event: T,
    fn: EventEmitter.EventListener<Events, T>,
    context?: unknown,
  ): this {
    if (typeof fn !== 'function') throw new TypeError('a listener must be a function');
    let fired = false;
    const wrapper = ((...args: unknown[]) => {
      if (fired) return undefined;
      fired = true;
      super.off(event, wrapper);
      this.#wrappers.get(fn as AnyListener)?.delete(wrapper as AnyListener);
      return (fn as AnyListener).apply(context ?? this, args);
    }) as EventEmitter.EventListener<Events, T>;
    this.#track(fn, wrapper);
    return super.on(event, wrapper);
  }

  override off<T extends EventEmitter.EventNames<Events>>(
    event: T,
    fn?: EventEmitter.EventListener<Events, T>,
    context?: unknown,
    once?: boolean,
  ): this {
    if (fn === undefined) return super.off(event);
    super.off(event, fn, context, once);
    for (const wrapper of this.#wrappers.get(fn as AnyListener) ?? [])
      super.off(event, wrapper as EventEmitter.EventListener<Events, T>);
    return this;
  }

  override removeListener<T extends EventEmitter.EventNames<Events>>(
    event: T,
    fn?: EventEmitter.EventListener<Events, T>,
    context?: unknown,
    once?: boolean,
  ): this {
    return this.off(event, fn, context, once);
  }

  #track(fn: unknown, wrapper: unknown): void {
    const set = this.#wrappers.get(fn as AnyListener) ?? new Set();
    set.add(wrapper as AnyListener);
    this.#wrappers.set(fn as AnyListener, set);
  }
}

type AnyEmitter = EventEmitter<string>;

/** Any eventemitter3 emitter, whatever its event map. */
// biome-ignore lint/suspicious/noExplicitAny: the event map does not matter to the dispatcher
export type AnyEventEmitter = EventEmitter<any>;

/**
 * Calls every listener of the events, in order (each is called at once; async ones run on), and
 * resolves when all have settled, with what they threw. No listener: no promise is made.
 */
export function callListeners(
  emitter: AnyEventEmitter,
  names: readonly string[],
  args: unknown[],
): ListenerRun | Promise<ListenerRun> {
  const e = emitter as unknown as AnyEmitter;
  let any = false;
  for (const name of names) any ||= e.listenerCount(name) > 0;
  if (!any) return NO_RUN;
  const runs: Promise<unknown>[] = [];
  const errors: unknown[] = [];
  let count = 0;
  for (const name of names) {
    for (const fn of e.listeners(name) as AnyListener[]) {
      count++;
      try {
        const out = fn.apply(emitter, args);
        if (out !== null && typeof (out as Promise<unknown>)?.then === 'function')
          runs.push(out as Promise<unknown>);
      } catch (error) {
        errors.push(error);
      }
    }
  }
  if (runs.length === 0) return { count, errors };
  const run = { count, errors };
  if (runs.length === 1) {
    return runs[0]!.then(
      () => run,
      (error: unknown) => {
        errors.push(error);
        return run;
      },
    );
  }
  return Promise.allSettled(runs).then((settled) => {
    for (const s of settled) if (s.status === 'rejected') errors.push(s.reason);
    return { count, errors };
  });
}

/**
 * Emits a lifecycle event (`reply.delivered`, `denied`, …): a listener's failure is logged, never
 * thrown into the caller. Resolves when the listeners have settled.
 */
export function notifyListeners(
  emitter: AnyEventEmitter,
  logger: Logger,
  name: string,
  args: unknown[],
): Promise<void> {
  // Nobody listens (the common case on the hot path): no array, no promise chain.
  if (emitter.listenerCount(name) === 0) return SETTLED;
  const run = callListeners(emitter, [name], args);
  const log = ({ errors }: ListenerRun) => {
    for (const error of errors) logger.error(`a ${name} listener threw`, { error });
  };
  if (run instanceof Promise) return run.then(log);
  log(run);
  return SETTLED;
}

const SETTLED: Promise<void> = Promise.resolve();

/** Logs an error (with its stack) and hands it to the `error` listeners: `(error, info)`. */
export async function reportError(
  emitter: AnyEventEmitter,
  logger: Logger,
  error: unknown,
  info: ErrorInfo,
): Promise<void> {
  // The stack says where a listener failed (the logger redacts it like every field).
  const stack = error instanceof Error && typeof error.stack === 'string' ? { stack: error.stack } : {};
  logger.error(info.phase === 'listener' ? 'a listener failed' : `${info.phase} failed`, {
    ...info,
    error,
    ...stack,
  });
  const run = callListeners(emitter, ['error'], [error, info]);
  const { errors } = run instanceof Promise ? await run : run;
  for (const e of errors) logger.error('an error listener threw', { error: e });
}
