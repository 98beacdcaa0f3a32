/**
 * Telemetry of the inbound side: the `wecom.callback` span (and the callback's start in its
 * context, so a reply made from a listener measures its latency from the callback), the callbacks
 * counter by outcome, and the reply metrics. Every function is a no-op without a provider.
 */
import {
  clean,
  count,
  inSpan,
  recordSeconds,
  type SpanAttributes,
  telemetryApi,
  tracingApi,
} from './telemetry.js';

/** Context key of the callback's start (`performance.now()`, ms): replies measure from it. */
const STARTED = Symbol.for('@maven/wecom.callback.started');

/**
 * Runs one inbound callback in the span `wecom.callback`. With metrics but no tracer provider,
 * only the start time is put in the context (for the reply latency).
 */
export function inCallback<T>(attributes: SpanAttributes, fn: () => Promise<T>): Promise<T> {
  const a = telemetryApi();
  if (!a) return fn();
  const started = performance.now();
  if (!tracingApi()) return a.context.with(a.context.active().setValue(STARTED, started), fn);
  return inSpan('wecom.callback', attributes, fn, { context: (c) => c.setValue(STARTED, started) });
}

/**
 * Adds a parsed callback's attributes (`wecom.kind`, `wecom.msgtype`, `wecom.app`, `wecom.agent_id`)
 * to the active callback span. `describe` runs only when a span records.
 */
export function annotateCallback<M, A>(
  describe: ((message: M, app: A) => SpanAttributes) | undefined,
  message: M,
  app: A,
): void {
  if (!describe) return;
  const span = tracingApi()?.trace.getActiveSpan();
  if (span) span.setAttributes(clean(describe(message, app)));
}

export type CallbackOutcome = 'accepted' | 'duplicate' | 'denied' | 'refused' | 'in_progress';

/** Counts a callback by outcome (`wecom.callbacks`) and sets `wecom.outcome` on its span. */
export function callbackOutcome(outcome: CallbackOutcome, refusal?: string): void {
  const a = telemetryApi();
  if (!a) return;
  count('wecom.callbacks', { 'wecom.outcome': outcome, 'wecom.refusal': refusal });
  a.trace.getActiveSpan()?.setAttribute('wecom.outcome', outcome);
}

/**
 * Records a reply's outcome: `wecom.replies` by channel, outcome and reason, and for a delivered
 * reply made in a callback's context, `wecom.reply.duration` from the callback's arrival. An event
 * on the active span too (`wecom.reply.delivered` / `wecom.reply.failed`).
 */
export function recordReply(channel: string, kind: string, failure: string | undefined): void {
  const a = telemetryApi();
  if (!a) return;
  const outcome = failure === undefined ? 'delivered' : 'failed';
  const attributes = { 'wecom.channel': channel, 'wecom.reply.kind': kind };
  count('wecom.replies', { ...attributes, 'wecom.outcome': outcome, 'wecom.reason': failure });
  const started = a.context.active().getValue(STARTED);
  if (failure === undefined && typeof started === 'number')
    recordSeconds('wecom.reply.duration', (performance.now() - started) / 1000, attributes);
  const span = tracingApi() && a.trace.getActiveSpan();
  if (span) span.addEvent(`wecom.reply.${outcome}`, clean({ ...attributes, 'wecom.reason': failure }));
}
