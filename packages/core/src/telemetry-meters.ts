/**
 * Metrics of the SDK's state: the sizes and evictions of the dedup guard and the in-memory Store,
 * Store operation latency and errors, credential refreshes (access tokens, tickets) and active
 * streams. Every function is a no-op without a meter provider (the sizes are read only when a
 * provider collects them).
 */
import type { Store } from './store.js';
import {
  activeMeter,
  count,
  errorType,
  inSpan,
  instrument,
  onMeter,
  recordSeconds,
  tracingApi,
} from './telemetry.js';

/** The size gauges: the dedup guard's entries, the in-memory Store's entries. */
export type SizeGauge = 'wecom.dedup.size' | 'wecom.store.size';

/** Objects whose size a gauge reports, held weakly: a dropped bot is not kept alive by its gauge. */
const watched: Record<SizeGauge, Set<WeakRef<object>>> = {
  'wecom.dedup.size': new Set(),
  'wecom.store.size': new Set(),
};
const sizeOf = new WeakMap<object, () => number>();

/** Reports `size()` of `owner` in the gauge `name`, summed over every live owner. One WeakRef each. */
export function watchSize(name: SizeGauge, owner: object, size: () => number): void {
  watched[name].add(new WeakRef(owner));
  sizeOf.set(owner, size);
}

onMeter((meter) => {
  for (const [name, owners] of Object.entries(watched)) {
    meter.createObservableGauge(name, { unit: '{entry}' }).addCallback((result) => {
      let total = 0;
      for (const ref of owners) {
        const owner = ref.deref();
        if (owner === undefined) owners.delete(ref);
        else total += sizeOf.get(owner)?.() ?? 0;
      }
      result.observe(total);
    });
  }
});

/** One entry pushed out by a size bound before its TTL ran out (`wecom.dedup.evictions`, …). */
export function evicted(name: 'wecom.dedup.evictions' | 'wecom.store.evictions'): void {
  count(name, {});
}

/** Times one Store operation: `wecom.store.duration` and, on failure, `wecom.store.errors`. */
function timed<T>(operation: string, started: number, promise: Promise<T>): Promise<T> {
  return promise.then(
    (value) => {
      recordSeconds('wecom.store.duration', (performance.now() - started) / 1000, {
        'wecom.store.operation': operation,
      });
      return value;
    },
    (error: unknown) => {
      const type = errorType(error);
      const attributes = { 'wecom.store.operation': operation, 'error.type': type };
      recordSeconds('wecom.store.duration', (performance.now() - started) / 1000, attributes);
      count('wecom.store.errors', attributes);
      throw error;
    },
  );
}

/**
 * The Store with each operation measured. Without a meter provider each method calls straight
 * through (one undefined check).
 */
export function observedStore(store: Store): Store {
  const out: Store = {
    ...(store.inProcess ? { inProcess: true } : {}),
    get: (key) => (activeMeter() ? timed('get', performance.now(), store.get(key)) : store.get(key)),
    set: (key, value, o) =>
      activeMeter() ? timed('set', performance.now(), store.set(key, value, o)) : store.set(key, value, o),
    setIfAbsent: (key, value, o) =>
      activeMeter()
        ? timed('setIfAbsent', performance.now(), store.setIfAbsent(key, value, o))
        : store.setIfAbsent(key, value, o),
    compareAndSet: (key, expected, value, o) =>
      activeMeter()
        ? timed('compareAndSet', performance.now(), store.compareAndSet(key, expected, value, o))
        : store.compareAndSet(key, expected, value, o),
    delete: (key) =>
      activeMeter() ? timed('delete', performance.now(), store.delete(key)) : store.delete(key),
    compareAndDelete: (key, expected) =>
      activeMeter()
        ? timed('compareAndDelete', performance.now(), store.compareAndDelete(key, expected))
        : store.compareAndDelete(key, expected),
  };
  const append = store.appendLine?.bind(store);
  if (append) {
    out.appendLine = (key, line, o) =>
      activeMeter() ? timed('appendLine', performance.now(), append(key, line, o)) : append(key, line, o);
  }
  if (store.close) out.close = () => store.close?.() ?? Promise.resolve();
  return out;
}

/**
 * One refresh of a credential (`access_token`, `jsapi_ticket`…): the span `wecom.token.refresh`
 * around the gettoken call, `wecom.token.refreshes` by outcome and `wecom.token.refresh.duration`.
 */
export function inRefresh<T>(credential: string, fn: () => Promise<T>): Promise<T> {
  if (!tracingApi() && !activeMeter()) return fn();
  const started = performance.now();
  const done = (error: string | undefined) => {
    const attributes = { 'wecom.credential': credential, 'error.type': error };
    recordSeconds('wecom.token.refresh.duration', (performance.now() - started) / 1000, attributes);
    count('wecom.token.refreshes', {
      ...attributes,
      'wecom.outcome': error === undefined ? 'refreshed' : 'failed',
    });
  };
  return inSpan('wecom.token.refresh', { 'wecom.credential': credential }, () =>
    fn().then(
      (value) => {
        done(undefined);
        return value;
      },
      (error: unknown) => {
        done(errorType(error));
        throw error;
      },
    ),
  );
}

/** A stream opened (+1) or finished (-1): `wecom.streams.active`. */
export function streamActive(delta: 1 | -1): void {
  instrument('wecom.streams.active', (m) =>
    m.createUpDownCounter('wecom.streams.active', { unit: '{stream}' }),
  )?.add(delta);
}
