/**
 * A tiny benchmark harness. Each operation is calibrated to a round of about `roundMs`, warmed up,
 * then timed over several rounds with process.hrtime.bigint (wall clock) and process.cpuUsage (CPU
 * time of this process: what the operation costs, without the time spent waiting for a CPU while
 * other processes run). Rounds of the compared operations are interleaved, so a burst of load on
 * the machine hits all of them alike. Reports the median round of each.
 */

export interface Elapsed {
  wall: number;
  cpu: number;
}

export interface Candidate {
  name: string;
  /** Runs the operation `n` times and returns the elapsed wall and CPU nanoseconds. */
  run(n: number): Elapsed | Promise<Elapsed>;
}

export interface MeasureOptions {
  roundMs?: number;
  rounds?: number;
}

export interface Timing {
  /** Median round, wall-clock nanoseconds per operation. */
  wall: number;
  /** Median round, CPU nanoseconds per operation. */
  cpu: number;
}

function start(): () => Elapsed {
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  return () => {
    const elapsed = Number(process.hrtime.bigint() - wall);
    const used = process.cpuUsage(cpu);
    return { wall: elapsed, cpu: (used.user + used.system) * 1000 };
  };
}

export function syncCandidate(name: string, op: () => unknown): Candidate {
  return {
    name,
    run(n) {
      const stop = start();
      for (let i = 0; i < n; i++) op();
      return stop();
    },
  };
}

export function asyncCandidate(name: string, op: () => Promise<unknown>): Candidate {
  return {
    name,
    async run(n) {
      const stop = start();
      for (let i = 0; i < n; i++) await op();
      return stop();
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Iterations that fill roughly `ms` milliseconds, found by doubling. */
async function calibrate(c: Candidate, ms: number): Promise<number> {
  let n = 8;
  for (;;) {
    const ns = (await c.run(n)).wall;
    if (ns >= (ms * 1e6) / 4 || n >= 1 << 24) return Math.max(8, Math.round((n * ms * 1e6) / ns));
    n *= 2;
  }
}

/** Timing of each candidate, keyed by name. */
export async function measure(
  candidates: Candidate[],
  options: MeasureOptions = {},
): Promise<Map<string, Timing>> {
  const roundMs = options.roundMs ?? 15;
  const rounds = options.rounds ?? 21;
  const sizes = new Map<Candidate, number>();
  for (const c of candidates) {
    const n = await calibrate(c, roundMs);
    await c.run(n); // warm-up at full size
    sizes.set(c, n);
  }
  const samples = new Map<Candidate, Elapsed[]>(candidates.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of candidates) {
      const n = sizes.get(c)!;
      const e = await c.run(n);
      samples.get(c)!.push({ wall: e.wall / n, cpu: e.cpu / n });
    }
  }
  return new Map(
    candidates.map((c) => {
      const s = samples.get(c)!;
      return [c.name, { wall: median(s.map((e) => e.wall)), cpu: median(s.map((e) => e.cpu)) }];
    }),
  );
}
