/**
 * What the OpenTelemetry instrumentation costs on the inbound bot callback (a signed 1 KB text,
 * answered passively, through `bot.receive`), in three child processes whose module resolution
 * differs:
 *
 * - `none`: `@opentelemetry/api` cannot be resolved (a resolve hook refuses it, as in an
 *   application that never installed it);
 * - `api`: the API resolves, no provider is registered (the SDK's default for most users);
 * - `sdk`: the SDK's tracer and meter providers are registered (spans to a discarding exporter,
 *   metrics aggregated in memory) with the AsyncLocalStorage context manager.
 *
 * Each child handles `--n` callbacks one after the other after a warm-up; the modes run in
 * interleaved rounds and the median round counts. Prints µs per callback (wall clock and CPU) and
 * the ratios to `none`; asserts nothing.
 *
 * Run: node --import tsx bench/otel.bench.ts [--n 20000] [--rounds 5]
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

type Mode = 'none' | 'api' | 'sdk';
const MODES: readonly Mode[] = ['none', 'api', 'sdk'];

interface ChildResult {
  mode: Mode;
  usPerCallback: number;
  cpuUsPerCallback: number;
  callbacks: number;
  /** Whether `@opentelemetry/api` could be imported in that child. */
  apiResolvable: boolean;
  /** Spans the child's exporter received over every callback handled, warm-up included (0 unless `sdk`). */
  spans: number;
  handled: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/** A resolve hook refusing `@opentelemetry/api` (an application that never installed it). */
const NO_API_HOOK = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(
  'export async function resolve(specifier, context, next) {' +
  '  if (specifier === "@opentelemetry/api" || specifier.startsWith("@opentelemetry/api/")) {' +
  '    throw Object.assign(new Error("Cannot find package " + specifier), { code: "ERR_MODULE_NOT_FOUND" });' +
  '  }' +
  '  return next(specifier, context);' +
  '}'));`,
)}`;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

async function child(mode: Mode, n: number): Promise<void> {
  let spans = 0;
  if (mode === 'sdk') {
    const { context, metrics, trace } = await import('@opentelemetry/api');
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } =
      await import('@opentelemetry/sdk-metrics');
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const discard = {
      export(batch: unknown[], done: (r: { code: number }) => void) {
        spans += batch.length;
        done({ code: 0 });
      },
      shutdown: () => Promise.resolve(),
    };
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(discard as never)] }),
    );
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    metrics.setGlobalMeterProvider(
      new MeterProvider({
        readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
      }),
    );
  }
  let apiResolvable = true;
  try {
    await import('@opentelemetry/api');
  } catch {
    apiResolvable = false;
  }
  const { silentLogger, telemetryReady } = await import('../packages/core/src/index.ts');
  const { WeComBot } = await import('../packages/bot/src/index.ts');
  const { BOT_KEYS, botCallbackPool } = await import('./lib/fixtures.ts');
  await telemetryReady();
  const warmup = Math.min(2000, Math.floor(n / 5));
  const pool = botCallbackPool(n + warmup, '/wecom/bot', 1024);
  const bot = new WeComBot({
    ...BOT_KEYS,
    receiveId: '',
    path: '/wecom/bot',
    timestampWindow: false,
    logger: silentLogger,
  });
  let replies = 0;
  bot.on('text', (message, ctx) => {
    replies++;
    return ctx.reply(`echo ${message.msgId}`);
  });
  const send = async (i: number) => {
    const r = pool[i]!;
    const out = await bot.receive({
      method: 'POST',
      url: r.path,
      headers: { 'content-type': 'application/json' },
      body: r.body,
    });
    if (out.status !== 200 || out.body.length === 0) throw new Error(`callback ${i}: ${out.status}`);
  };
  for (let i = 0; i < warmup; i++) await send(i);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = warmup; i < warmup + n; i++) await send(i);
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await bot.close();
  if (replies !== warmup + n) throw new Error(`listener ran ${replies} times for ${warmup + n} callbacks`);
  const result: ChildResult = {
    mode,
    usPerCallback: (wall * 1000) / n,
    cpuUsPerCallback: (used.user + used.system) / n,
    callbacks: n,
    apiResolvable,
    spans,
    handled: warmup + n,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(mode: Mode, n: number): Promise<ChildResult> {
  const args = ['--import', 'tsx', ...(mode === 'none' ? ['--import', NO_API_HOOK] : [])];
  return new Promise((resolveRun, reject) => {
    const proc = spawn(
      process.execPath,
      [...args, resolve(here, 'otel.bench.ts'), '--child', mode, '--n', String(n)],
      {
        cwd: resolve(here, '..'),
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    proc.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${mode} child exited ${code}: ${out}`));
      resolveRun(JSON.parse(line) as ChildResult);
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const n = arg('n', 20_000);
  const rounds = arg('rounds', 5);
  const runs: Record<Mode, ChildResult[]> = { none: [], api: [], sdk: [] };
  for (let round = 0; round < rounds; round++) {
    for (const mode of MODES) runs[mode].push(await runChild(mode, n));
  }
  const wall = (m: Mode) => median(runs[m].map((r) => r.usPerCallback));
  const cpu = (m: Mode) => median(runs[m].map((r) => r.cpuUsPerCallback));
  const labels: Record<Mode, string> = {
    none: '@opentelemetry/api not resolvable',
    api: 'API installed, no provider',
    sdk: 'SDK providers registered',
  };
  console.log(
    `inbound bot callback (signed 1 KB text, passive answer, bot.receive), ${n} callbacks x ${rounds} rounds, median round; node ${process.version}`,
  );
  console.log(
    `${'mode'.padEnd(36)}${'µs/callback'.padStart(12)}${'ratio'.padStart(8)}${'CPU µs'.padStart(10)}${'ratio'.padStart(8)}  api resolvable  spans/callback`,
  );
  for (const m of MODES) {
    const last = runs[m].at(-1)!;
    console.log(
      `${labels[m].padEnd(36)}${wall(m).toFixed(2).padStart(12)}${(wall(m) / wall('none')).toFixed(3).padStart(8)}${cpu(m).toFixed(2).padStart(10)}${(cpu(m) / cpu('none')).toFixed(3).padStart(8)}  ${String(last.apiResolvable).padEnd(14)}  ${(last.spans / last.handled).toFixed(1)}`,
    );
  }
  console.log(
    `rounds (µs/callback): ${MODES.map((m) => `${m} ${runs[m].map((r) => r.usPerCallback.toFixed(1)).join('/')}`).join('; ')}`,
  );
}

const childAt = process.argv.indexOf('--child');
if (childAt !== -1) await child(process.argv[childAt + 1] as Mode, arg('n', 20_000));
else await main();
