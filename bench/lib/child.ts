/**
 * A TypeScript server in a child process (`node --import tsx <file>`), with an IPC channel: the
 * child says `{ ready: true, port }` once it listens. The server under test and the load generator
 * never share one event loop (on two cores, each gets one).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './frameworks.ts';

export interface ChildServer {
  readonly process: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Everything the child wrote on stdout and stderr, line by line (when captured). */
  readonly lines: string[];
  /** Sends a message and resolves with the first reply that has `key`. */
  request<T>(message: unknown, key: string, timeoutMs?: number): Promise<T>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Asks the child to stop ('stop' message), then kills it if it has not exited after `graceMs`.
   * Later calls return the first call's promise.
   */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartChildOptions {
  args?: readonly string[];
  /** Extra node flags, e.g. `--expose-gc`, `--cpu-prof`. */
  nodeFlags?: readonly string[];
  env?: Record<string, string>;
  /** Keep stdout/stderr lines in `lines` (default: pass them through to this process' stderr). */
  capture?: boolean;
  readyTimeoutMs?: number;
  /**
   * Run the built packages (packages/*\/dist, what users install) instead of the TypeScript
   * sources; needs `pnpm build` first. See dist-hooks.mjs.
   */
  dist?: boolean;
}

/** Whether benchmarks run the built packages: yes, unless WECOM_BENCH_FROM=src. */
export function benchFromDist(): boolean {
  return process.env.WECOM_BENCH_FROM !== 'src';
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function startChild(file: string, options: StartChildOptions = {}): Promise<ChildServer> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      ...(options.dist ? ['--import', pathToFileURL(resolve(REPO_ROOT, 'bench/lib/use-dist.mjs')).href] : []),
      '--import',
      'tsx',
      resolve(REPO_ROOT, file),
      ...(options.args ?? []),
    ],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  children.add(child);
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (!options.capture) {
        process.stderr.write(chunk);
        return;
      }
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
    });
    stream.on('end', () => {
      if (partial) lines.push(partial);
      partial = '';
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      done({ code, signal });
    });
  });
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${file} was not ready after ${options.readyTimeoutMs ?? 30_000} ms`)),
      options.readyTimeoutMs ?? 30_000,
    );
    child.on('message', (message: { ready?: boolean; port?: number }) => {
      if (message?.ready) {
        clearTimeout(timer);
        done(message.port ?? 0);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`${file} exited before it was ready (${code ?? signal})\n${lines.join('\n')}`));
    });
  });
  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  const request = <T>(message: unknown, key: string, timeoutMs = 30_000): Promise<T> =>
    new Promise<T>((done, fail) => {
      const onMessage = (reply: Record<string, unknown>) => {
        if (reply && key in reply) {
          clearTimeout(timer);
          child.off('message', onMessage);
          done(reply[key] as T);
        }
      };
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        fail(new Error(`no "${key}" answer from ${file} within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('message', onMessage);
      child.send(message as object);
    });
  return {
    process: child,
    port,
    url: `http://127.0.0.1:${port}`,
    lines,
    request,
    exited,
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          if (child.connected) child.send('stop');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const result = await exited;
          clearTimeout(timer);
          return result;
        }
        return exited;
      })();
      return stopping;
    },
  };
}
