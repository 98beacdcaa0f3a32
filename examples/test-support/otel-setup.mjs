// An OpenTelemetry SDK preloaded as teams do (`node --import ./otel-setup.mjs app.js`), with no
// change to the application: a tracer provider with a context manager, exporting every finished
// span as one JSON line appended to $OTEL_SPANS_FILE (synchronously, so nothing is lost when the
// process is killed). The zero-code tests of the examples read that file.
import { appendFileSync } from 'node:fs';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const file = process.env.OTEL_SPANS_FILE;
if (!file) throw new Error('otel-setup.mjs: set OTEL_SPANS_FILE');

/** A span exporter writing JSON lines. */
const exporter = {
  export(spans, done) {
    const lines = spans.map((s) =>
      JSON.stringify({
        name: s.name,
        kind: s.kind,
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext?.spanId,
        status: s.status.code,
        attributes: s.attributes,
        events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
      }),
    );
    appendFileSync(file, `${lines.join('\n')}\n`);
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);
