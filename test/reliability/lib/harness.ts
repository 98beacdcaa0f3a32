/** Shared helpers of the reliability suite: the server child, bounded concurrency, polling. */
import { type ChildServer, startChild } from '../../../bench/lib/child.ts';
import type { ChildStats, MemoryFigures, ServerChildConfig } from '../server-child.ts';

export type { ChildStats, MemoryFigures, ServerChildConfig };

export interface ServerChild extends ChildServer {
  stats(): Promise<ChildStats>;
  /** Memory after two full collections (the child runs with --expose-gc). */
  gc(): Promise<MemoryFigures>;
  /**
   * Resident memory once the idle process has given memory back: a full collection every 10 s
   * (Node 20 returns pages after a few of them) and a sample every second in between, without
   * forcing more (Node 22's V8 returns pages only from its memory reducer, seconds after the last
   * GC, and every forced GC postpones it), until `done(sample)` or `timeoutMs` has passed.
   * Returns the last sample.
   */
  idleMemory(done: (m: MemoryFigures) => boolean, timeoutMs: number): Promise<MemoryFigures>;
}

export async function startServerChild(config: ServerChildConfig): Promise<ServerChild> {
  const child = await startChild('test/reliability/server-child.ts', {
    args: [JSON.stringify(config)],
    // V8 hands freed heap pages back to the OS from its memory reducer, which starts 8 s after
    // the heap stops growing (and is postponed by every forced GC); shortened here to 1 s.
    nodeFlags: ['--expose-gc', '--gc-memory-reducer-start-delay-ms=1000'],
    capture: true,
  });
  const stats = () => child.request<ChildStats>('stats', 'stats');
  return Object.assign(child, {
    stats,
    gc: () => child.request<MemoryFigures>('gc', 'gc'),
    async idleMemory(done: (m: MemoryFigures) => boolean, timeoutMs: number) {
      let probes = 0;
      return pollUntil(
        async () => {
          if (probes++ % 10 === 0) await child.request<MemoryFigures>('gc', 'gc');
          return (await stats()).memory;
        },
        done,
        timeoutMs,
        1000,
      );
    },
  });
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
export async function runPool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Polls `probe` until it returns a value that satisfies `done`, or the time runs out (returns the last value). */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= until) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sum = (map: Record<string, number>): number => Object.values(map).reduce((a, b) => a + b, 0);

/** The `RESULT {json}` line a child prints when it shut down. */
export function resultLine(lines: readonly string[]): ChildStats | undefined {
  const line = [...lines].reverse().find((l) => l.startsWith('RESULT '));
  return line === undefined ? undefined : (JSON.parse(line.slice('RESULT '.length)) as ChildStats);
}
