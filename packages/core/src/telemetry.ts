/**
 * Traces and metrics through `@opentelemetry/api`, an optional peer dependency. The API is looked
 * up once, when this module loads, with a dynamic import that may fail: without it every helper
 * here is a no-op that allocates nothing. With it, the API's global registry hands out whatever
 * provider the application registered (e.g. `node --import ./otel-setup.mjs`), so no code change
 * is needed in the application. Attributes never carry a token, key, secret, access_token,
 * message content or user id.
 */
import type * as Api from '@opentelemetry/api';

let api: typeof Api | undefined;
let noopTracerProvider: unknown;
let noopMeter: unknown;
// Resolves before the first callback in practice (a module load); a callback that beats it is untraced.
const loading: Promise<void> = import('@opentelemetry/api').then(
  (m) => {
    noopTracerProvider = new m.ProxyTracerProvider().getDelegate();
    noopMeter = m.createNoopMeter();
    api = m;
  },
  () => {},
);

/** Settles once the optional API was looked up (tests await it). */
export function telemetryReady(): Promise<void> {
  return loading;
}

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

/** Name of the tracer and meter (the instrumentation scope). */
export const TELEMETRY_SCOPE = '@maven/wecom';

/**
 * The API keeps whatever is registered (providers, propagators, the context manager, diag) in one
 * object on `globalThis` under this key, created by the first registration. While it is absent,
 * nothing can record: one property read instead of asking each API (this runs many times per callback).
 */
const REGISTRY = Symbol.for('opentelemetry.js.api.1');

function nothingRegistered(): boolean {
  return (globalThis as Record<symbol, unknown>)[REGISTRY] === undefined;
}

/** The API when a tracer provider is registered (not the no-op one); else undefined. */
export function tracingApi(): typeof Api | undefined {
  const a = api;
  if (!a || nothingRegistered()) return undefined;
  const provider = a.trace.getTracerProvider() as Api.ProxyTracerProvider;
  return provider.getDelegate?.() === noopTracerProvider ? undefined : a;
}

let meterProvider: unknown;
let meter: Api.Meter | undefined;
const instruments = new Map<string, unknown>();
const meterHooks: ((meter: Api.Meter) => void)[] = [];

/** Runs `hook` with each meter as a provider is found (observable instruments register there). */
export function onMeter(hook: (meter: Api.Meter) => void): void {
  meterHooks.push(hook);
}

/** The meter when a meter provider is registered (instruments are cached per provider); else undefined. */
export function activeMeter(): Api.Meter | undefined {
  const a = api;
  if (!a || nothingRegistered()) return undefined;
  const provider = a.metrics.getMeterProvider();
  if (provider !== meterProvider) {
    meterProvider = provider;
    instruments.clear();
    const m = provider.getMeter(TELEMETRY_SCOPE);
    meter = m === noopMeter ? undefined : m;
    if (meter) for (const hook of meterHooks) hook(meter);
  }
  return meter;
}

/** One instrument per name, created on first use from the active meter. */
export function instrument<T>(name: string, create: (m: Api.Meter) => T): T | undefined {
  const m = activeMeter();
  if (!m) return undefined;
  let found = instruments.get(name) as T | undefined;
  if (found === undefined) {
    found = create(m);
    instruments.set(name, found);
  }
  return found;
}

/** Adds `value` to the counter `name` (created on first use). No-op without a meter provider. */
export function count(name: string, attributes: SpanAttributes, value = 1): void {
  instrument(name, (m) => m.createCounter(name))?.add(value, clean(attributes));
}

/** Records seconds in the histogram `name` (unit `s`, as the semantic conventions' durations). */
export function recordSeconds(name: string, seconds: number, attributes: SpanAttributes): void {
  instrument(name, (m) => m.createHistogram(name, { unit: 's' }))?.record(seconds, clean(attributes));
}

export function clean(attributes: SpanAttributes): Api.Attributes {
  const out: Api.Attributes = {};
  for (const k in attributes) {
    const v = attributes[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** `error.type` per the semantic conventions: the typed error's code, else the class name. */
export function errorType(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    return (error as { name?: string }).name ?? 'Error';
  }
  return 'Error';
}

/** Marks a span failed: status ERROR and `error.type`. */
export function failSpan(span: Api.Span, type: string): void {
  span.setAttribute('error.type', type);
  span.setStatus({ code: 2 /* SpanStatusCode.ERROR */ });
}

/**
 * Runs `fn` inside a span named `name` (a child of the active span), ending it with the outcome:
 * a thrown error sets status ERROR and records `error.type`. Without a tracer provider, just runs
 * `fn` (no span, no context switch). `context` adds values to the span's context (see callbacks).
 */
export function inSpan<T>(
  name: string,
  attributes: SpanAttributes,
  fn: (span: Api.Span | undefined) => Promise<T> | T,
  options: { kind?: Api.SpanKind; context?: (c: Api.Context) => Api.Context } = {},
): Promise<T> {
  const a = tracingApi();
  // No provider: no promise of our own around `fn` (this runs several times per callback).
  if (!a) {
    try {
      return Promise.resolve(fn(undefined));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const parent = options.context ? options.context(a.context.active()) : a.context.active();
  const tracer = a.trace.getTracer(TELEMETRY_SCOPE);
  const start = { attributes: clean(attributes), ...(options.kind ? { kind: options.kind } : {}) };
  return tracer.startActiveSpan(name, start, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      failSpan(span, errorType(error));
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The API when either provider is registered (something would be recorded); else undefined. */
export function telemetryApi(): typeof Api | undefined {
  return tracingApi() ?? (activeMeter() ? api : undefined);
}

/** `trace_id` and `span_id` of the active span (the log data model's names), for log fields. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = tracingApi()?.trace.getActiveSpan();
  if (!span) return undefined;
  const ids = span.spanContext();
  return { trace_id: ids.traceId, span_id: ids.spanId };
}
