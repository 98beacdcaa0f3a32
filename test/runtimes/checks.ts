/**
 * A tiny check collector shared by every runtime of the matrix: the same code runs on Node 22,
 * Bun, Deno and workerd, so it uses nothing but the language and Web-standard globals.
 */

export interface CheckResult {
  name: string;
  ok: boolean;
  error?: string;
}

/** What every runtime entry prints as the last line of its stdout (after `MARKER`). */
export interface RuntimeReport {
  runtime: string;
  version: string;
  results: CheckResult[];
}

export const MARKER = '@@wecom-runtime-report ';

export class Checks {
  readonly results: CheckResult[] = [];

  /** Runs one check; a throw or a rejected promise is a failure with its message. */
  async run(name: string, fn: () => unknown): Promise<void> {
    try {
      await fn();
      this.results.push({ name, ok: true });
    } catch (error) {
      this.results.push({ name, ok: false, error: describe(error) });
    }
  }

  add(results: readonly CheckResult[]): void {
    this.results.push(...results);
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
  }
  return String(error);
}

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertEqual<T>(actual: T, expected: T, what: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Expects `fn` to reject/throw an error whose `code` is `code`; returns that error. */
export async function assertRejects(
  fn: () => unknown,
  check: (error: unknown) => boolean,
  what: string,
): Promise<void> {
  let thrown: unknown;
  let threw = false;
  try {
    await fn();
  } catch (error) {
    threw = true;
    thrown = error;
  }
  assert(threw, `${what}: expected an error, got none`);
  assert(check(thrown), `${what}: wrong error ${describe(thrown)}`);
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export function report(runtime: string, version: string, results: CheckResult[]): string {
  const out: RuntimeReport = { runtime, version, results };
  return MARKER + JSON.stringify(out);
}
