/** Background work (active replies) that must outlive the HTTP response and drain on shutdown. */
export class TaskTracker {
  readonly #tasks = new Set<Promise<unknown>>();

  get size(): number {
    return this.#tasks.size;
  }

  /** Tracks a task; hands it to `waitUntil` too when the runtime has one. */
  run<T>(task: Promise<T>, waitUntil?: (promise: Promise<unknown>) => void): Promise<T> {
    const forget = (): void => {
      this.#tasks.delete(settled);
    };
    const settled: Promise<void> = task.then(forget, forget);
    this.#tasks.add(settled);
    waitUntil?.(settled);
    return task;
  }

  /**
   * Resolves when every tracked task has settled (including tasks started while draining), or
   * after `timeoutMs`; returns how many were left unsettled.
   */
  async drain(timeoutMs: number): Promise<number> {
    if (this.#tasks.size === 0) return 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(
        () => {
          timedOut = true;
          resolve();
        },
        Math.max(0, timeoutMs),
      );
    });
    while (this.#tasks.size > 0 && !timedOut) {
      await Promise.race([Promise.all([...this.#tasks]), timeout]);
      // Let the bookkeeping `then` that removes each settled task run before counting.
      await Promise.resolve();
    }
    clearTimeout(timer);
    return this.#tasks.size;
  }
}

export type DeadlineResult<T> = { done: true; value: T } | { done: false };

/**
 * Races a promise against a deadline. When the deadline wins, the promise keeps running (its
 * outcome goes out actively); its rejection is not left unhandled.
 */
export function raceDeadline<T>(promise: Promise<T>, ms: number): Promise<DeadlineResult<T>> {
  return new Promise<DeadlineResult<T>>((resolve, reject) => {
    const timer = setTimeout(() => resolve({ done: false }), ms);
    // Handled either way: a rejection after the deadline settles nothing and is not left unhandled.
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ done: true, value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
