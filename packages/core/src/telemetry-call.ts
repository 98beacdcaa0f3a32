/**
 * Telemetry of outbound calls: one INTERNAL span `wecom.call` per call of the HTTP client
 * (response_url, message/send, gettoken, media upload), each retry an event on it and a count in
 * `wecom.http.retries`; under it one CLIENT span `wecom.http` per attempt (the semantic
 * conventions' HTTP client span, `http.request.resend_count` on a retry) and the
 * `http.client.request.duration` histogram. The query string, where access_token travels, is
 * never recorded. Every function is a no-op without a provider.
 */
import type * as Api from '@opentelemetry/api';
import {
  activeMeter,
  count,
  errorType,
  failSpan,
  inSpan,
  recordSeconds,
  TELEMETRY_SCOPE,
  tracingApi,
} from './telemetry.js';

/** Context key of the current call's attempt counter (tracedFetch numbers the attempts). */
const ATTEMPTS = Symbol.for('@maven/wecom.call.attempts');

/** Runs one outbound call in the span `wecom.call`; its outcome is `delivered` or `failed`. */
export function inCall<T>(fn: () => Promise<T>): Promise<T> {
  if (!tracingApi()) return fn();
  return inSpan(
    'wecom.call',
    {},
    async (span) => {
      try {
        const result = await fn();
        // An errcode the caller asked to handle itself (a token refresh on 42001): failed here.
        const errcode = (result as { errcode?: unknown } | undefined)?.errcode;
        if (typeof errcode === 'number' && errcode !== 0 && span) {
          span.setAttributes({ 'wecom.outcome': 'failed', 'wecom.errcode': errcode });
          failSpan(span, 'api_error');
        } else span?.setAttribute('wecom.outcome', 'delivered');
        return result;
      } catch (error) {
        const errcode = (error as { errcode?: unknown }).errcode;
        span?.setAttributes({
          'wecom.outcome': 'failed',
          ...(typeof errcode === 'number' ? { 'wecom.errcode': errcode } : {}),
        });
        throw error;
      }
    },
    { context: (c) => c.setValue(ATTEMPTS, { n: 0 }) },
  );
}

/** Names the active call span once its path and method are known. */
export function describeCall(path: string, method: string): void {
  const span = tracingApi()?.trace.getActiveSpan();
  if (span) span.setAttributes({ 'wecom.operation': path, 'http.request.method': method });
}

/** A retry of the call to `path`: counted, and an event `retry` on the call span. */
export function callRetry(path: string, retry: number, code: string, waitMs: number): void {
  count('wecom.http.retries', { 'wecom.operation': path, 'error.type': code });
  const span = tracingApi()?.trace.getActiveSpan();
  if (span)
    span.addEvent('retry', {
      'http.request.resend_count': retry,
      'error.type': code,
      'wecom.retry.wait_ms': waitMs,
    });
}

function attemptNumber(a: typeof Api): number {
  const attempts = a.context.active().getValue(ATTEMPTS) as { n: number } | undefined;
  if (!attempts) return 0;
  return attempts.n++;
}

/**
 * Wraps a fetch so that each attempt is a CLIENT span `wecom.http` (a child of the active span:
 * a call from a listener joins the callback's trace) and a point of `http.client.request.duration`.
 * Only method, host and path are recorded. Without a provider, calls straight through.
 */
export function tracedFetch(inner?: typeof globalThis.fetch): typeof globalThis.fetch {
  const f = inner ?? ((input, init) => globalThis.fetch(input, init));
  return (input, init) => {
    const a = tracingApi();
    if (!a && !activeMeter()) return f(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const attributes: Api.Attributes = {
      'http.request.method': init?.method ?? (input instanceof Request ? input.method : 'GET'),
      'server.address': url.hostname,
      ...(url.port ? { 'server.port': Number(url.port) } : {}),
    };
    const started = performance.now();
    const measure = (status: number | undefined, error: string | undefined) =>
      recordSeconds('http.client.request.duration', (performance.now() - started) / 1000, {
        ...(attributes as Record<string, string | number>),
        'http.response.status_code': status,
        'error.type': error,
      });
    if (!a)
      return f(input, init).then(
        (response) => {
          measure(response.status, response.status >= 400 ? String(response.status) : undefined);
          return response;
        },
        (error: unknown) => {
          measure(undefined, errorType(error));
          throw error;
        },
      );
    const resend = attemptNumber(a);
    const tracer = a.trace.getTracer(TELEMETRY_SCOPE);
    const start = {
      kind: a.SpanKind.CLIENT,
      attributes: {
        ...attributes,
        'url.path': url.pathname,
        ...(resend > 0 ? { 'http.request.resend_count': resend } : {}),
      },
    };
    return tracer.startActiveSpan('wecom.http', start, async (span) => {
      try {
        const response = await f(input, init);
        span.setAttribute('http.response.status_code', response.status);
        const failed = response.status >= 400 ? String(response.status) : undefined;
        if (failed) failSpan(span, failed);
        measure(response.status, failed);
        return response;
      } catch (error) {
        failSpan(span, errorType(error));
        measure(undefined, errorType(error));
        throw error;
      } finally {
        span.end();
      }
    });
  };
}
