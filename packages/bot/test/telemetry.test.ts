import { telemetryReady } from '@maven/wecom-core';
import { botText } from '@maven/wecom-testing';
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
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { botSuite, gate, KEY, makeBot, post, TOKEN } from './helpers.js';

const suite = botSuite(2000);

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
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
beforeEach(() => spans.reset());

function named(name: string): ReadableSpan[] {
  return spans.getFinishedSpans().filter((s) => s.name === name);
}

async function callbackCounts(): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const out: Record<string, number> = {};
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== 'wecom.callbacks') continue;
      for (const point of metric.dataPoints) {
        const key = `${point.attributes['wecom.outcome']}${point.attributes['wecom.refusal'] ? `:${point.attributes['wecom.refusal']}` : ''}`;
        out[key] = point.value as number;
      }
    }
  }
  return out;
}

describe('telemetry', () => {
  it('a bot text answered passively: wecom.callback with open, listeners and reply children', async () => {
    const t = makeBot();
    t.bot.on('text', async (m, ctx) => {
      await ctx.reply(`echo: ${m.text}`);
    });
    const out = await post(t.bot, botText({ content: 'hi' }));
    expect(out.status).toBe(200);
    const [root] = named('wecom.callback');
    expect(root).toBeDefined();
    const rootId = root?.spanContext().spanId;
    for (const child of ['wecom.open', 'wecom.listeners', 'wecom.reply']) {
      const [span] = named(child);
      expect(span?.parentSpanContext?.spanId, child).toBe(rootId);
      expect(span?.spanContext().traceId).toBe(root?.spanContext().traceId);
    }
    expect(named('wecom.reply')[0]?.attributes['wecom.channel']).toBe('passive');
    expect(root?.status.code).toBe(0);
    expect((await callbackCounts()).accepted).toBeGreaterThanOrEqual(1);
  });

  it('a refused signature: the callback span has status ERROR and error.type, counted as refused', async () => {
    const t = makeBot();
    const before = (await callbackCounts())['refused:signature_mismatch'] ?? 0;
    const out = await post(t.bot, botText({ content: 'hi' }), { token: 'not-the-token' });
    expect(out.status).toBe(401);
    const [root] = named('wecom.callback');
    expect(root?.status.code).toBe(2);
    const refusal = root?.attributes['error.type'];
    expect(typeof refusal).toBe('string');
    const [open] = named('wecom.open');
    expect(open?.status.code).toBe(2);
    expect((await callbackCounts())[`refused:${String(refusal)}`]).toBe(
      refusal === 'signature_mismatch' ? before + 1 : 1,
    );
  });

  it('a duplicate is counted as duplicate; no attribute carries the token or the key', async () => {
    const t = makeBot();
    t.bot.on('text', () => {});
    const message = botText({ content: 'hi', msgid: 'dup-1' });
    await post(t.bot, message);
    const before = (await callbackCounts()).duplicate ?? 0;
    await post(t.bot, message);
    expect((await callbackCounts()).duplicate).toBe(before + 1);
    const exported = JSON.stringify(spans.getFinishedSpans().map((s) => s.attributes));
    expect(exported).not.toContain(TOKEN);
    expect(exported).not.toContain(KEY);
  });

  it('a reply through response_url retried twice then delivered: three wecom.http spans in the callback trace', async () => {
    const t = suite.setup();
    const url = suite.wecom.responseUrl([{ status: 503 }, { status: 503 }]);
    const done = gate();
    t.bot.on('text', async (_m, ctx) => {
      await new Promise((r) => setTimeout(r, 300)); // past the 200 ms deadline: response_url
      await ctx.reply('late');
      done.open();
    });
    const out = await post(t.bot, botText({ content: 'hi', responseUrl: url }));
    expect(out.status).toBe(200);
    await done.promise;
    expect(t.delivered).toHaveLength(1);
    expect(suite.wecom.callsFor(url)).toHaveLength(3);
    const [root] = named('wecom.callback');
    const attempts = named('wecom.http');
    expect(attempts).toHaveLength(3);
    expect(attempts.map((s) => s.status.code)).toEqual([2, 2, 0]);
    expect(attempts.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 503, 200]);
    for (const s of attempts) {
      expect(s.spanContext().traceId).toBe(root?.spanContext().traceId);
      expect(s.attributes['url.path']).toBe('/cgi-bin/aibot/response');
      expect(JSON.stringify(s.attributes)).not.toContain('response_code');
    }
  });
});
