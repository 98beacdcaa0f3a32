import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { raceDeadline, TaskTracker } from '../src/index.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  vi.useRealTimers();
});

/** Lets the event loop run long enough for Node to report unhandled rejections. */
const settle = () => new Promise((r) => setTimeout(r, 10));

describe('TaskTracker', () => {
  it('tracks tasks until they settle, either way, and hands them to waitUntil', async () => {
    const tracker = new TaskTracker();
    const a = deferred<string>();
    const b = deferred<string>();
    const handed: Array<Promise<unknown>> = [];
    const returned = tracker.run(a.promise, (p) => handed.push(p));
    expect(returned).toBe(a.promise);
    tracker.run(b.promise);
    expect(tracker.size).toBe(2);
    expect(handed).toHaveLength(1);
    a.resolve('ok');
    b.reject(new Error('failed'));
    expect(await tracker.drain(1000)).toBe(0);
    expect(tracker.size).toBe(0);
    // What waitUntil received never rejects (a rejection there would crash some runtimes).
    await expect(handed[0]).resolves.toBeUndefined();
    await expect(returned).resolves.toBe('ok');
    await settle();
    // The rejected task was handled by the tracker, so nothing is reported as unhandled.
    expect(unhandled).toEqual([]);
  });

  it('drain returns 0 at once when idle and the count left after the timeout', async () => {
    vi.useFakeTimers();
    const tracker = new TaskTracker();
    expect(await tracker.drain(100)).toBe(0);
    const never = deferred<void>();
    const later = deferred<void>();
    tracker.run(never.promise);
    tracker.run(later.promise);
    const draining = tracker.drain(500);
    later.resolve();
    await vi.advanceTimersByTimeAsync(499);
    let result: number | undefined;
    void draining.then((n) => {
      result = n;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await draining).toBe(1);
    never.resolve();
  });

  it('drain waits for tasks started while draining', async () => {
    const tracker = new TaskTracker();
    const first = deferred<void>();
    const second = deferred<void>();
    tracker.run(first.promise);
    const draining = tracker.drain(5000);
    tracker.run(second.promise);
    first.resolve();
    await Promise.resolve();
    let done = false;
    void draining.then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    second.resolve();
    expect(await draining).toBe(0);
  });
});

describe('raceDeadline', () => {
  it('done when the promise settles first', async () => {
    expect(await raceDeadline(Promise.resolve(42), 1000)).toEqual({ done: true, value: 42 });
  });

  it('not done when the deadline passes first; the promise keeps running', async () => {
    vi.useFakeTimers();
    const work = deferred<string>();
    const racing = raceDeadline(work.promise, 4000);
    await vi.advanceTimersByTimeAsync(3999);
    let result: unknown;
    void racing.then((r) => {
      result = r;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await racing).toEqual({ done: false });
    work.resolve('late');
    await expect(work.promise).resolves.toBe('late');
  });

  it('a rejection before the deadline rejects the race', async () => {
    await expect(raceDeadline(Promise.reject(new Error('early')), 1000)).rejects.toThrow('early');
  });

  it('a late rejection after the deadline is not an unhandled rejection', async () => {
    const work = deferred<string>();
    const result = await raceDeadline(work.promise, 5);
    expect(result).toEqual({ done: false });
    work.reject(new Error('late failure'));
    await settle();
    expect(unhandled).toEqual([]);
  });
});
