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
let noopProvider: unknown;
// Resolves before the first callback in practice (a module load); a callback that beats it is untraced.
const loading: Promise<void> = import('@opentelemetry/api').then(
  (m) => {
    api = m;
    noopProvider = new m.ProxyTracerProvider().getDelegate();
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
 * Runs `fn` inside a span named `name` (a child of the active span), ending it with the outcome:
 * a thrown error sets status ERROR and records `error.type`. Without the API, just runs `fn`.
 */
export function inSpan<T>(
  name: string,
  attributes: SpanAttributes,
  fn: (span: Api.Span | undefined) => Promise<T> | T,
): Promise<T> {
  const a = api;
  // The API installed but no provider registered: skip the no-op span's context switches too,
  // and add no promise of our own around `fn`.
  if (!a || (a.trace.getTracerProvider() as Api.ProxyTracerProvider).getDelegate?.() === noopProvider) {
    try {
      return Promise.resolve(fn(undefined));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const tracer = a.trace.getTracer(TELEMETRY_SCOPE);
  return tracer.startActiveSpan(name, { attributes: clean(attributes) }, async (span) => {
    try {
      const result = await fn(span);
      return result;
    } catch (error) {
      span.setAttribute('error.type', errorType(error));
      span.setStatus({ code: a.SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

const counters = new Map<string, Api.Counter>();

/** Adds `value` to the counter `name` (created on first use). No-op without the API. */
export function count(name: string, attributes: SpanAttributes, value = 1): void {
  const a = api;
  if (!a) return;
  let counter = counters.get(name);
  if (!counter) {
    counter = a.metrics.getMeter(TELEMETRY_SCOPE).createCounter(name);
    counters.set(name, counter);
  }
  counter.add(value, clean(attributes));
}

function clean(attributes: SpanAttributes): Api.Attributes {
  const out: Api.Attributes = {};
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined) out[k] = v;
  return out;
}

/** `error.type` per the semantic conventions: the typed error's code, else the class name. */
function errorType(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    return (error as { name?: string }).name ?? 'Error';
  }
  return 'Error';
}

/**
 * Wraps a fetch so that each attempt is a CLIENT span `wecom.http` (a child of the active span:
 * a call from a listener joins the callback's trace). The query string (where access_token
 * travels) is never recorded: only method, host and path. Without the API, calls straight through.
 */
export function tracedFetch(inner?: typeof globalThis.fetch): typeof globalThis.fetch {
  const f = inner ?? ((input, init) => globalThis.fetch(input, init));
  return (input, init) => {
    const a = api;
    if (!a) return f(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const tracer = a.trace.getTracer(TELEMETRY_SCOPE);
    return tracer.startActiveSpan(
      'wecom.http',
      {
        kind: a.SpanKind.CLIENT,
        attributes: {
          'http.request.method': method,
          'server.address': url.hostname,
          'url.path': url.pathname,
        },
      },
      async (span) => {
        try {
          const response = await f(input, init);
          span.setAttribute('http.response.status_code', response.status);
          if (response.status >= 400) {
            span.setAttribute('error.type', String(response.status));
            span.setStatus({ code: a.SpanStatusCode.ERROR });
          }
          return response;
        } catch (error) {
          span.setAttribute('error.type', errorType(error));
          span.setStatus({ code: a.SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
}
