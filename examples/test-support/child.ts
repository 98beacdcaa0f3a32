/**
 * Runs an example as a real child process (`node --import tsx <entry>`), collects its output line
 * by line and waits for lines (the ready line, log lines) without ever sleeping on a clock.
 * Shared by the example suites and the demo.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningChild {
  readonly process: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves once the process has exited. */
  readonly exited: Promise<Exit>;
  /** The first line (existing or future) of a stream matching `pattern`. */
  waitForLine(
    pattern: RegExp,
    options?: { stream?: 'stdout' | 'stderr'; timeoutMs?: number },
  ): Promise<string>;
  /** Sends a signal (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
  /** Everything printed so far, for failure messages. */
  output(): string;
}

export interface SpawnOptions {
  /** Extra environment variables (merged over this process' environment). */
  env?: Record<string, string | undefined>;
  /** Run with Bun (or another runtime binary) instead of `node --import tsx`. */
  command?: { file: string; args: string[] };
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function spawnExample(
  entry: string,
  args: readonly string[],
  options: SpawnOptions = {},
): RunningChild {
  const file = options.command?.file ?? process.execPath;
  const prefix = options.command?.args ?? ['--import', 'tsx'];
  const child = spawn(file, [...prefix, resolve(REPO_ROOT, entry), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const waiters = new Set<() => void>();
  for (const name of ['stdout', 'stderr'] as const) {
    let partial = '';
    child[name]!.setEncoding('utf8');
    child[name]!.on('data', (chunk: string) => {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      lines[name].push(...parts);
      for (const wake of [...waiters]) wake();
    });
    child[name]!.on('end', () => {
      if (partial) lines[name].push(partial);
      partial = '';
      for (const wake of [...waiters]) wake();
    });
  }
  const exited = new Promise<Exit>((resolveExit) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      // Let the pipes drain before anyone reads the output.
      setImmediate(() => {
        for (const wake of [...waiters]) wake();
        resolveExit({ code, signal });
      });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const output = () => `--- stdout\n${lines.stdout.join('\n')}\n--- stderr\n${lines.stderr.join('\n')}`;

  return {
    process: child,
    stdout: lines.stdout,
    stderr: lines.stderr,
    exited,
    output,
    waitForLine(pattern, opts = {}) {
      const stream = opts.stream ?? 'stdout';
      const timeoutMs = opts.timeoutMs ?? 20_000;
      return new Promise<string>((resolveLine, reject) => {
        const check = () => {
          const found = lines[stream].find((line) => pattern.test(line));
          if (found !== undefined) {
            cleanup();
            resolveLine(found);
          } else if (done) {
            cleanup();
            reject(new Error(`${entry} exited before printing ${pattern}\n${output()}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no line matching ${pattern} on ${stream} within ${timeoutMs} ms\n${output()}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
      return exited;
    },
  };
}

export interface StartedExample extends RunningChild {
  /** The URL of the ready line (`listening on <url>`). */
  readonly url: string;
  /** `http://host:port` of the ready line. */
  readonly origin: string;
}

/** Spawns an example and waits for its `listening on <url>` line. */
export async function startExample(
  entry: string,
  args: readonly string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<StartedExample> {
  const child = spawnExample(entry, args, options);
  try {
    const line = await child.waitForLine(/^listening on https?:\/\//, {
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    const url = line.slice('listening on '.length).trim();
    return Object.assign(child, { url, origin: new URL(url).origin });
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
}

/** Runs an example to its exit (e.g. a configuration error) and returns its output. */
export async function runExample(
  entry: string,
  args: readonly string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const child = spawnExample(entry, args, options);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const exit = await child.exited;
  clearTimeout(timer);
  return { ...exit, stdout: child.stdout.join('\n'), stderr: child.stderr.join('\n') };
}
