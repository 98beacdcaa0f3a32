/**
 * A counting wrapper around an ioredis client, for the Redis round-trip test and the benchmark:
 * a Proxy that counts every command the store sends and how many are in flight at once.
 *
 * - commands = every call of a command method (GET, SET, DEL, EVALSHA, EVAL);
 * - round trips = 0 → 1 transitions of the in-flight count: commands issued while others are in
 *   flight went out on the same connection without waiting (pipelined) and share a round trip.
 *   Exact when callbacks are sent one at a time and each is run to completion.
 *
 * With `record`, each command is logged with the round trip it travelled in, its arguments
 * reduced to a label (`SET PX NX`, `EVALSHA compareAndSet`…) and its key without the prefix.
 */
import * as scripts from '../src/scripts.ts';

/** The ioredis methods the store calls (see src/drivers.ts). */
const COMMANDS = new Set(['get', 'set', 'del', 'evalsha', 'eval']);

const SCRIPT_NAMES = new Map<string, string>();
for (const [name, value] of Object.entries(scripts)) {
  const script = value as { sha1?: unknown; source?: unknown };
  if (typeof script?.sha1 === 'string' && typeof script.source === 'string') {
    // COMPARE_AND_SET → compareAndSet
    const camel = name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    SCRIPT_NAMES.set(script.sha1, camel);
    SCRIPT_NAMES.set(script.source, camel);
  }
}

export interface CountedCommand {
  /** 1-based round trip (0 → 1 transition) this command travelled in. */
  trip: number;
  /** `GET`, `SET PX`, `SET PX NX`, `DEL`, `EVALSHA <script>`, `EVAL <script>`. */
  label: string;
  /** The first key, without `prefix`. */
  key: string;
}

export class CommandCounter {
  commands = 0;
  trips = 0;
  inFlight = 0;
  /** Bumped on every start and end of a command (quiet detection). */
  events = 0;
  /** Commands by label (`GET`, `SET PX NX`, `EVALSHA compareAndSet`…). */
  readonly byLabel = new Map<string, number>();
  /** Set to an array to log every command. */
  record: CountedCommand[] | undefined;

  constructor(readonly prefix = '') {}

  reset(): void {
    this.commands = 0;
    this.trips = 0;
    this.events = 0;
    this.byLabel.clear();
    if (this.record) this.record = [];
  }

  start(method: string, args: readonly unknown[]): void {
    if (this.inFlight === 0) this.trips++;
    this.inFlight++;
    this.commands++;
    this.events++;
    const name = label(method, args);
    this.byLabel.set(name, (this.byLabel.get(name) ?? 0) + 1);
    this.record?.push({ trip: this.trips, label: name, key: this.#key(method, args) });
  }

  end(): void {
    this.inFlight--;
    this.events++;
  }

  #key(method: string, args: readonly unknown[]): string {
    const raw = String((method === 'evalsha' || method === 'eval' ? args[2] : args[0]) ?? '');
    return raw.startsWith(this.prefix) ? raw.slice(this.prefix.length) : raw;
  }

  /**
   * Resolves once no command has started or ended for `quietMs` with none in flight: the work a
   * callback left in the background has reached Redis and come back.
   */
  async settle(quietMs = 25): Promise<void> {
    for (;;) {
      const seen = this.events;
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      if (this.inFlight === 0 && this.events === seen) return;
    }
  }
}

function label(method: string, args: readonly unknown[]): string {
  if (method === 'set') {
    const flags = args.slice(2).filter((a) => typeof a === 'string') as string[];
    return ['SET', ...flags.map((f) => f.toUpperCase())].join(' ');
  }
  if (method === 'evalsha' || method === 'eval') {
    return `${method.toUpperCase()} ${SCRIPT_NAMES.get(String(args[0])) ?? 'script'}`;
  }
  return method.toUpperCase();
}

/** The client with every command counted by `counter` (everything else passes through). */
export function countingClient<T extends object>(client: T, counter: CommandCounter): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== 'string' || !COMMANDS.has(property) || typeof value !== 'function')
        return value;
      return (...args: unknown[]) => {
        counter.start(property, args);
        let reply: Promise<unknown>;
        try {
          reply = Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args));
        } catch (error) {
          counter.end();
          throw error;
        }
        return reply.finally(() => counter.end());
      };
    },
  });
}

/** Round trips of a recorded log: `[['SET PX NX dedup:…', 'SET PX target:…'], ['GET …']]`. */
export function tripsOf(log: readonly CountedCommand[]): string[][] {
  const trips: string[][] = [];
  const first = log[0]?.trip ?? 0;
  for (const c of log) {
    const trip = trips[c.trip - first] ?? [];
    trip.push(`${c.label} ${c.key}`);
    trips[c.trip - first] = trip;
  }
  return trips.filter(Boolean);
}
