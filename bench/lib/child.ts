/**
 * A TypeScript server in a child process (`node --import tsx <file>`, or its compiled JavaScript
 * when it runs the built packages: see compiledForDist), with an IPC channel: the
 * child says `{ ready: true, port }` once it listens. The server under test and the load generator
 * never share one event loop (on two cores, each gets one).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distEntryOf } from './dist-hooks.mjs';
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
  /**
   * The checkout whose file, bench helpers and built packages the child runs (default this one):
   * bench/pipeline-http-ab.ts runs a previous commit's server beside this one's.
   */
  root?: string;
}

/** Whether benchmarks run the built packages: yes, unless WECOM_BENCH_FROM=src. */
export function benchFromDist(): boolean {
  return process.env.WECOM_BENCH_FROM !== 'src';
}

/** Where compiled files may be written: the bench's and the packages' test helpers (never src/). */
const COMPILED_DIRS = /^(?:bench|packages\/[a-z]+\/test)\//;
/** Import specifiers in compiled code (no comments left) and in tsdown's output (one import a line). */
const IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\2/g;
const DIST_IMPORT = /^((?:import|export)\b[^'"\n]*?\bfrom\s*|import\s*)(['"])([^'"]+)\2/gm;
/** Where a package's linked dist goes: beside its dist/, so its dependencies resolve as from there. */
const LINKED_DIR = '.tmp/bench-dist';
const compiledFiles = new Map<string, string | undefined>();
const linkedFiles = new Map<string, string | undefined>();
let typescript: typeof import('typescript') | undefined;

/** `to` as an import specifier from a module in `fromDir`. */
function specifierTo(fromDir: string, to: string): string {
  const path = relative(fromDir, to);
  return path.startsWith('.') ? path : `./${path}`;
}

/** Writes `code` to `file` unless it holds exactly that already. */
function writeIfChanged(file: string, code: string): void {
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {}
  if (current === code) return;
  mkdirSync(dirname(file), { recursive: true });
  // Another run may read it meanwhile: it sees the old file or the new one, never half of one.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, code);
  renameSync(temporary, file);
}

/**
 * A package's built entry (`@maven/wecom-<name>` or `packages/<name>/src/index*.ts`, mapped as
 * dist-hooks.mjs maps it), linked: a copy of its dist file, and of the chunks and the other
 * packages' entries it imports, in packages/<name>/.tmp/bench-dist/ (git-ignored, not packed),
 * with the imports of other packages pointing at their copies. The code is dist's, byte for byte
 * but for those specifiers; it loads without a resolution hook. Undefined if something is not
 * built or an import of another package cannot be linked.
 */
function linkedEntry(specifier: string, root: string): string | undefined {
  const entry = distEntryOf(specifier);
  return entry ? linkedDist(entry.name, `${entry.entry}.mjs`, root) : undefined;
}

function linkedDist(name: string, file: string, root: string): string | undefined {
  const out = resolve(root, 'packages', name, LINKED_DIR, file);
  if (linkedFiles.has(out)) return linkedFiles.get(out);
  // An import cycle between chunks finds the output path here.
  linkedFiles.set(out, out);
  let code: string;
  try {
    code = readFileSync(resolve(root, 'packages', name, 'dist', file), 'utf8');
  } catch {
    linkedFiles.set(out, undefined);
    return undefined;
  }
  let complete = true;
  code = code.replace(DIST_IMPORT, (whole, lead: string, quote: string, specifier: string) => {
    const linked = specifier.startsWith('./')
      ? linkedDist(name, specifier.slice(2), root)
      : specifier.startsWith('@maven/')
        ? linkedEntry(specifier, root)
        : out;
    if (!linked) complete = false;
    if (!linked || !specifier.startsWith('@maven/')) return whole;
    return `${lead}${quote}${specifierTo(dirname(out), linked)}${quote}`;
  });
  // A dynamic import of a package, say, would load its sources: link none of it then.
  if (!complete || /\bimport\s*\(\s*['"`]@maven\//.test(code)) {
    linkedFiles.set(out, undefined);
    return undefined;
  }
  writeIfChanged(out, code);
  return out;
}

/** Transpiled sources by content, kept between runs: loading TypeScript takes a second or so. */
const TRANSPILED_CACHE = resolve(REPO_ROOT, 'node_modules/.cache/wecom-bench-child');
const TRANSPILE_OPTIONS_TAG = 'esnext es2022 no-comments\n';

/** `code` with its types stripped (TypeScript's transpileModule), from the cache when it was seen before. */
function transpiled(code: string, fileName: string): string {
  // The options below are part of the key: change TRANSPILE_OPTIONS_TAG with them.
  const key = createHash('sha256').update(TRANSPILE_OPTIONS_TAG).update(code).digest('hex');
  const cached = resolve(TRANSPILED_CACHE, `${key}.mjs`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {}
  typescript ??= createRequire(import.meta.url)('typescript') as typeof import('typescript');
  const ts = typescript;
  const { outputText } = ts.transpileModule(code, {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      // No comments: the import specifiers are then the only quoted text after `from` / `import`.
      removeComments: true,
    },
  });
  writeIfChanged(cached, outputText);
  return outputText;
}

/**
 * A child that runs the built packages needs tsx only for the repository's own TypeScript around
 * them, and tsx and the resolution hooks of dist-hooks.mjs cost about 0.8 s of CPU per child
 * (their loader thread, source maps): so the child's file and the TypeScript it imports are
 * compiled here, once per process, to `<name>.child.mjs` beside each source (git-ignored; same
 * directory, so `import.meta.url` and package resolution are unchanged), and the packages it
 * imports are linked (linkedEntry). Only files under bench/ and packages/<name>/test/ are compiled
 * in place; a file elsewhere that imports nothing (packages/redis/src/scripts.ts, its constants) is
 * compiled beside the file importing it, so nothing is written into a package's src/
 * (scripts/bench.mjs rebuilds when src/ changes). Types are only stripped (`transpiled`).
 * Undefined when something cannot be compiled or linked so: the child runs
 * under tsx and the hooks then.
 */
export function compiledForDist(file: string, importer?: string, root = REPO_ROOT): string | undefined {
  const source = resolve(root, file);
  if (compiledFiles.has(source)) return compiledFiles.get(source);
  compiledFiles.set(source, undefined);
  if (!source.endsWith('.ts')) return undefined;
  const outputText = transpiled(readFileSync(source, 'utf8'), source);
  const inPlace = COMPILED_DIRS.test(relative(root, source));
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
    let target: string | undefined;
    if (specifier.startsWith('@maven/')) target = linkedEntry(specifier, root);
    else if (/^\.{1,2}\/.*\.ts$/.test(specifier)) {
      const path = resolve(dirname(source), specifier);
      target = linkedEntry(path, root) ?? compiledForDist(relative(root, path), source, root);
    } else return whole;
    if (!target) {
      complete = false;
      return whole;
    }
    return `${lead}${quote}${specifierTo(dirname(out), target)}${quote}`;
  });
  if (!complete) {
    compiledFiles.set(source, undefined);
    return undefined;
  }
  writeIfChanged(out, code);
  return out;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function startChild(file: string, options: StartChildOptions = {}): Promise<ChildServer> {
  const root = options.root ?? REPO_ROOT;
  const compiled = options.dist ? compiledForDist(file, undefined, root) : undefined;
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      ...(compiled
        ? [compiled]
        : [
            ...(options.dist
              ? ['--import', pathToFileURL(resolve(root, 'bench/lib/use-dist.mjs')).href]
              : []),
            '--import',
            'tsx',
            resolve(root, file),
          ]),
      ...(options.args ?? []),
    ],
    {
      cwd: root,
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
