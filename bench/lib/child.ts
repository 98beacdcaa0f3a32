/**
 * A TypeScript server in a child process (`node --import tsx <file>`, or its compiled JavaScript
 * when it runs the built packages: see compiledForDist), with an IPC channel: the
 * child says `{ ready: true, port }` once it listens. The server under test and the load generator
 * never share one event loop (on two cores, each gets one).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, relative, resolve } from 'node:path';
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

/** A package entry that bench/lib/dist-hooks.mjs maps to its dist (`packages/<name>/src/index*.ts`). */
const DIST_ENTRY = /\/packages\/[a-z]+\/src\/index(?:\.node|\.web)?\.ts$/;
/** Where compiled files may be written: the bench's and the packages' test helpers (never src/). */
const COMPILED_DIRS = /^(?:bench|packages\/[a-z]+\/test)\//;
const IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\2/g;
const compiledFiles = new Map<string, string | undefined>();
let typescript: typeof import('typescript') | undefined;

/**
 * A child that runs the built packages needs tsx only for the repository's own TypeScript around
 * them, and tsx costs about half a second of CPU per child (its loader, source maps): so the
 * child's file and the TypeScript it imports are compiled here, once per process, to
 * `<name>.child.mjs` beside each source (git-ignored; same directory, so `import.meta.url` and
 * package resolution are unchanged). Only files under bench/ and packages/<name>/test/ are
 * compiled in place; a file elsewhere that imports nothing (packages/redis/src/scripts.ts, its
 * constants) is compiled beside the file importing it, so nothing is written into a package's
 * src/ (scripts/bench.mjs rebuilds when src/ changes). Types are only stripped (TypeScript's
 * transpileModule); relative `.ts` imports point at the compiled files, and package entries stay
 * as they are for dist-hooks.mjs to map. Undefined when something cannot be compiled so: tsx runs
 * the child then.
 */
export function compiledForDist(file: string, importer?: string): string | undefined {
  const source = resolve(REPO_ROOT, file);
  if (compiledFiles.has(source)) return compiledFiles.get(source);
  compiledFiles.set(source, undefined);
  if (!source.endsWith('.ts')) return undefined;
  typescript ??= createRequire(import.meta.url)('typescript') as typeof import('typescript');
  const ts = typescript;
  const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
    fileName: source,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      // No comments: the import specifiers are then the only quoted text after `from` / `import`.
      removeComments: true,
    },
  });
  const inPlace = COMPILED_DIRS.test(relative(REPO_ROOT, source));
  const standalone = !IMPORT.test(outputText);
  IMPORT.lastIndex = 0;
  if (!inPlace && !(standalone && importer)) return undefined;
  const out = inPlace
    ? resolve(dirname(source), `${basename(source, '.ts')}.child.mjs`)
    : resolve(dirname(importer!), `${basename(source, '.ts')}.from-${basename(dirname(source))}.child.mjs`);
  // An import cycle finds the output path here.
  compiledFiles.set(source, out);
  let complete = true;
  const code = outputText.replace(IMPORT, (whole, lead: string, quote: string, specifier: string) => {
    if (!/^\.{1,2}\/.*\.ts$/.test(specifier)) return whole;
    const target = resolve(dirname(source), specifier);
    if (DIST_ENTRY.test(target)) return whole;
    const compiled = compiledForDist(relative(REPO_ROOT, target), source);
    if (!compiled) {
      complete = false;
      return whole;
    }
    const path = relative(dirname(out), compiled);
    return `${lead}${quote}${path.startsWith('.') ? path : `./${path}`}${quote}`;
  });
  if (!complete) {
    compiledFiles.set(source, undefined);
    return undefined;
  }
  let current: string | undefined;
  try {
    current = readFileSync(out, 'utf8');
  } catch {}
  if (current !== code) {
    // Another run may read it meanwhile: it sees the old file or the new one, never half of one.
    const temporary = `${out}.${process.pid}.tmp`;
    writeFileSync(temporary, code);
    renameSync(temporary, out);
  }
  return out;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function startChild(file: string, options: StartChildOptions = {}): Promise<ChildServer> {
  const compiled = options.dist ? compiledForDist(file) : undefined;
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      ...(options.dist ? ['--import', pathToFileURL(resolve(REPO_ROOT, 'bench/lib/use-dist.mjs')).href] : []),
      ...(compiled ? [compiled] : ['--import', 'tsx', resolve(REPO_ROOT, file)]),
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
