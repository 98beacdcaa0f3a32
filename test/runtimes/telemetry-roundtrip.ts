/**
 * Node runtimes of the matrix: the SDK with `@opentelemetry/api` present (core finds it through its
 * dynamic import, bundled here) and the real `@opentelemetry/sdk-trace-base` provider and
 * AsyncLocalStorage context manager registered: the bot round trip again, its callbacks exported as
 * spans. Runs after the other round trips, which saw the API with no provider. (Bun's and Deno's
 * bundles cannot take sdk-trace-base's Node platform files: see docs/observability.md.)
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { telemetryReady } from '../../packages/core/src/index.ts';
import { botRoundTrip } from './bot-roundtrip.ts';
import { assert, type CheckResult, Checks } from './checks.ts';
import type { Target } from './matrix.ts';
import type { ResponseUrlSink } from './response-sink.ts';

export async function telemetryRoundTrip(
  target: Target,
  sink: { base: string; sink: ResponseUrlSink },
): Promise<CheckResult[]> {
  const checks = new Checks();
  const exporter = new InMemorySpanExporter();
  await checks.run('telemetry: @opentelemetry/api found, an SDK tracer provider registered', async () => {
    await telemetryReady();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    assert(trace.setGlobalTracerProvider(provider), 'the global tracer provider was already set');
  });
  try {
    checks.add(await botRoundTrip({ ...target, label: `${target.label}-otel`, sink }));
    // The sink has the reply once its POST arrived; the reply's spans end when its answer is read.
    for (let i = 0; i < 200 && !exporter.getFinishedSpans().some((s) => s.name === 'wecom.call'); i++)
      await new Promise((r) => setTimeout(r, 10));
    await checks.run('telemetry: callbacks exported as wecom.callback spans, the forgery as ERROR', () => {
      const spans = exporter.getFinishedSpans();
      const callbacks = spans.filter((s) => s.name === 'wecom.callback');
      assert(callbacks.length >= 3, `expected 3 or more wecom.callback spans, got ${callbacks.length}`);
      assert(
        callbacks.some((s) => s.status.code === 2 && s.attributes['error.type'] === 'signature_mismatch'),
        'no ERROR wecom.callback span with error.type signature_mismatch',
      );
      assert(
        callbacks.some(
          (s) => s.attributes['wecom.kind'] === 'bot' && s.attributes['wecom.msgtype'] === 'text',
        ),
        'no wecom.callback span of a bot text',
      );
      assert(
        spans.some((s) => s.name === 'wecom.http' && s.attributes['url.path'] !== undefined),
        'the response_url reply has no wecom.http span',
      );
    });
    await checks.run('telemetry: the response_url reply is in its callback trace', () => {
      const spans = exporter.getFinishedSpans();
      const traces = new Set(
        spans.filter((s) => s.name === 'wecom.callback').map((s) => s.spanContext().traceId),
      );
      assert(
        spans.some((s) => s.name === 'wecom.call' && traces.has(s.spanContext().traceId)),
        'no wecom.call span in the trace of a callback',
      );
    });
  } finally {
    trace.disable();
    context.disable();
  }
  return checks.results;
}
