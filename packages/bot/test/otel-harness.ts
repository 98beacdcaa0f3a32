/**
 * The real OpenTelemetry SDK with in-memory exporters, registered globally for one test file
 * (the bot's and the router's telemetry tests share it): finished spans, metric points, and the
 * text of everything exported (for the redaction scans).
 */
import { telemetryReady } from '@maven/wecom-core';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll } from 'vitest';

export interface Point {
  attributes: Record<string, unknown>;
  /** A counter's or gauge's value; a histogram's count. */
  value: number;
  /** A histogram's sum. */
  sum?: number;
}

export interface OtelHarness {
  spans: InMemorySpanExporter;
  /** Finished spans named `name`, in the order they ended. */
  named(name: string): ReadableSpan[];
  /** The current points of metric `name` (cumulative). */
  points(name: string): Promise<Point[]>;
  /** The sum of the points of `name` whose attributes include `match`. */
  total(name: string, match?: Record<string, unknown>): Promise<number>;
  /** Every span attribute, event (name and attributes), resource and metric point, as text. */
  exportedText(): Promise<string>;
}

/** Registers the SDK before the file's tests and removes it after. */
export function useOtel(): OtelHarness {
  const spans = new InMemorySpanExporter();
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(async () => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
    );
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    await telemetryReady();
  });
  afterAll(() => {
    trace.disable();
    metrics.disable();
    context.disable();
  });

  async function collect() {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics;
  }

  async function points(name: string): Promise<Point[]> {
    const out: Point[] = [];
    for (const scope of (await collect()).scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== name) continue;
        for (const p of metric.dataPoints) {
          const v = p.value as number | { count: number; sum?: number };
          out.push(
            typeof v === 'number'
              ? { attributes: p.attributes, value: v }
              : { attributes: p.attributes, value: v.count, ...(v.sum === undefined ? {} : { sum: v.sum }) },
          );
        }
      }
    }
    return out;
  }

  return {
    spans,
    named: (name) => spans.getFinishedSpans().filter((s) => s.name === name),
    points,
    async total(name, match = {}) {
      let sum = 0;
      for (const p of await points(name)) {
        if (Object.entries(match).every(([k, v]) => p.attributes[k] === v)) sum += p.value;
      }
      return sum;
    },
    async exportedText() {
      const fromSpans = spans.getFinishedSpans().map((s) => ({
        name: s.name,
        attributes: s.attributes,
        events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
        status: s.status,
        resource: s.resource.attributes,
      }));
      const fromMetrics = (await collect()).scopeMetrics.flatMap((scope) =>
        scope.metrics.map((m) => ({
          name: m.descriptor.name,
          points: m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
        })),
      );
      return JSON.stringify({ fromSpans, fromMetrics });
    },
  };
}

/** The chain of span names from `span` up to its root (within the exported spans). */
export function ancestry(all: readonly ReadableSpan[], span: ReadableSpan): string[] {
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
  const chain: string[] = [];
  let at: ReadableSpan | undefined = span;
  while (at) {
    chain.push(at.name);
    const parent: string | undefined = at.parentSpanContext?.spanId;
    at = parent === undefined ? undefined : byId.get(parent);
  }
  return chain;
}
