/** Every request the simulator receives, in arrival order (recorded on arrival, completed on answer). */
import { normalizeKey } from './route-key.js';

export interface RecordedCall {
  /** Short route name: `gettoken`, `message/send`, `media/upload`, `aibot/response`, `media`… */
  key: string;
  method: string;
  /** The URL path, e.g. `/cgi-bin/message/send`. */
  path: string;
  /** Query parameters (last value wins). */
  query: Record<string, string>;
  /** Parsed JSON, the raw text, a multipart summary, or undefined for an empty body. */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** Arrival time from the simulator's clock (ms). */
  at: number;
  /** HTTP status answered (0 while pending or when the socket was dropped). */
  status: number;
  /** What the simulator answered: the JSON object, or undefined for binary/dropped answers. */
  response: unknown;
  /** The app the access_token belongs to, when one was given. */
  app?: string;
  /** Set when an injected fault answered this call. */
  fault?: boolean;
}

export class CallRecorder {
  readonly #calls: RecordedCall[] = [];
  readonly #waiters = new Set<() => void>();

  add(call: RecordedCall): void {
    this.#calls.push(call);
    this.notify();
  }

  /** Re-checks the waiters (after a recorded call was completed). */
  notify(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  has(call: RecordedCall): boolean {
    return this.#calls.includes(call);
  }

  list(path?: string): RecordedCall[] {
    if (path === undefined) return [...this.#calls];
    const key = normalizeKey(path);
    return this.#calls.filter((call) => key === '*' || call.key === key);
  }

  clear(): void {
    this.#calls.length = 0;
  }

  /** Resolves once `predicate` holds, re-checked after every new call; rejects after `timeoutMs`. */
  waitUntil<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        const value = check();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      this.#waiters.add(wake);
    });
  }
}
