/**
 * (d) Costs that grow with the work: 1,000,000 unique msgids through the Deduper on a bounded
 * MemoryStore, 10,000 concurrent streams on the bot, 1,000 concurrent token requests. Each runs in
 * a fresh child process with --expose-gc (memory figures after full collections). Prints figures;
 * asserts nothing.
 *
 * Run alone: node --import tsx bench/growth.bench.ts
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_STORE_MAX_ENTRIES } from '../packages/core/src/index.ts';
import type { DedupResult, StreamsResult, TokensResult } from './growth-child.ts';
import { benchFromDist } from './lib/child.ts';
import { REPO_ROOT } from './lib/frameworks.ts';
import { fmt, mb, table } from './lib/table.ts';

export interface GrowthResults {
  dedup: DedupResult[];
  streams: StreamsResult[];
  tokens: TokensResult;
}

function runPart<T>(part: string, options: unknown): Promise<T> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        ...(benchFromDist()
          ? ['--import', pathToFileURL(resolve(REPO_ROOT, 'bench/lib/use-dist.mjs')).href]
          : []),
        '--import',
        'tsx',
        resolve(REPO_ROOT, 'bench/growth-child.ts'),
        part,
        JSON.stringify(options),
      ],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    let result: T | undefined;
    child.on('message', (message: { result?: T }) => {
      if (message?.result !== undefined) result = message.result;
    });
    child.on('exit', (code) => {
      if (result !== undefined) done(result);
      else fail(new Error(`growth part ${part} exited with ${code} and no result`));
    });
  });
}

export async function runGrowth(): Promise<GrowthResults> {
  const dedup = [
    await runPart<DedupResult>('dedup', { ids: 1_000_000, bound: 100_000 }),
    await runPart<DedupResult>('dedup', { ids: 1_000_000, bound: 50_000 }),
  ];
  const streams = [
    await runPart<StreamsResult>('streams', { streams: 10_000 }),
    await runPart<StreamsResult>('streams', { streams: 10_000, storeBound: 40_000 }),
  ];
  const tokens = await runPart<TokensResult>('tokens', { callers: 1000 });
  return { dedup, streams, tokens };
}

export function printGrowth(r: GrowthResults): string {
  const out: string[] = [];
  out.push('(d1) 1,000,000 unique msgids through Deduper on a MemoryStore with maxEntries = bound');
  out.push(
    table([
      [
        'bound',
        'ids',
        'first-seen',
        'µs per id',
        'store size ≤ bound',
        'RSS before → after',
        'heap before → after',
      ],
      ...r.dedup.map((d) => [
        fmt(d.bound),
        fmt(d.ids),
        fmt(d.firstSeen),
        ((d.seconds * 1e6) / d.ids).toFixed(2),
        `${fmt(d.size)} ${d.size <= d.bound ? '≤' : '>'} ${fmt(d.bound)}`,
        `${mb(d.before.rss)} → ${mb(d.after.rss)}`,
        `${mb(d.before.heapUsed)} → ${mb(d.after.heapUsed)}`,
      ]),
    ]),
  );
  out.push('');
  out.push(
    '(d2) 10,000 concurrent streams on the bot (in-process receive(), passive stream, writers kept open)',
  );
  out.push(
    table([
      [
        'store bound',
        'open µs/stream',
        'refresh µs (1 at a time)',
        'refresh µs (50 at a time)',
        'refreshes that found their stream',
        'heap per open stream',
        'RSS before → after',
      ],
      ...r.streams.map((s) => [
        `${fmt(s.storeBound)}${s.storeBound === DEFAULT_STORE_MAX_ENTRIES ? ' (default)' : ''}`,
        ((s.openMs * 1000) / s.streams).toFixed(0),
        s.refreshUs.toFixed(0),
        s.refreshConcurrentUs.toFixed(0),
        `${fmt(s.found)} / ${fmt(s.streams)}`,
        `${((s.after.heapUsed - s.before.heapUsed) / s.streams / 1024).toFixed(1)} KB`,
        `${mb(s.before.rss)} → ${mb(s.after.rss)}`,
      ]),
    ]),
  );
  out.push('');
  const t = r.tokens;
  out.push('(d3) 1,000 concurrent AccessTokenCache.get() against the simulator');
  out.push(
    table([
      ['callers', 'gettoken calls', 'distinct tokens', 'ms for all', 'after invalidate × 1,000: gettoken'],
      [
        fmt(t.callers),
        fmt(t.gettoken),
        fmt(t.distinctTokens),
        t.ms.toFixed(1),
        fmt(t.afterInvalidate.gettoken),
      ],
    ]),
  );
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(printGrowth(await runGrowth()));
}
