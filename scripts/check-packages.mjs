#!/usr/bin/env node
// Checks what would be published: for every package under packages/* that has real code, build it,
// `pnpm pack` it (pnpm applies publishConfig, e.g. the dist exports), then run publint and
// Are the Types Wrong (attw: node10, node16 CJS/ESM, bundler) on the tarball. One line per package;
// non-zero exit on any problem, with the failing tool's output underneath.
// Then the consumer checks on the same tarballs (scripts/check-consumer.mjs): install them
// together, import/require them, type-check with node16 and bundler, and no Node built-ins in
// any Web/default entry. Then all of it again on tarballs packed by `npm pack` (the npm pack part).
// Usage: node scripts/check-packages.mjs [package-dir-name ...] [--keep]
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkConsumer } from './check-consumer.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** pnpm as the test command was started (`pnpm test`), else on PATH, else through npx at the pinned version. */
function pnpmCommand() {
  const execpath = process.env.npm_execpath;
  if (execpath && /pnpm/.test(basename(execpath)) && existsSync(execpath)) {
    return /\.[cm]?js$/.test(execpath) ? [process.execPath, [execpath]] : [execpath, []];
  }
  const onPath = (process.env.PATH ?? '').split(':').find((d) => d && existsSync(join(d, 'pnpm')));
  if (onPath) return [join(onPath, 'pnpm'), []];
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
  return ['npx', ['-y', (pinned ?? 'pnpm').split('+')[0]]];
}
const [pnpm, pnpmArgs] = pnpmCommand();

function run(command, args, cwd, env = {}) {
  return new Promise((done) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      output += d;
    });
    child.on('error', (error) => done({ ok: false, output: `${output}\n${error.message}` }));
    child.on('close', (code) => done({ ok: code === 0, output }));
  });
}

/** A package whose src/index.ts is still the `export {};` placeholder has nothing to publish yet. */
function isPlaceholder(dir) {
  const index = join(dir, 'src', 'index.ts');
  if (!existsSync(index)) return false;
  const code = readFileSync(index, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .trim();
  return code === 'export {};';
}

// pnpm commands run one at a time: two pnpm processes at once can read the workspace state file
// while the other rewrites it ("Unexpected end of JSON input"); publint and attw still run in parallel.
let pnpmQueue = Promise.resolve();
function runPnpm(args, dir) {
  const result = pnpmQueue.then(() => run(pnpm, [...pnpmArgs, ...args], dir));
  pnpmQueue = result.catch(() => {});
  return result;
}

/**
 * The package's build script, run as `pnpm run build` would (a shell, with the package's and the
 * repository's node_modules/.bin first on PATH) but without a pnpm process per package, so builds
 * need not wait in the pnpm queue and two run at once.
 */
function runBuild(script, dir) {
  if (!script) return Promise.resolve({ ok: false, output: 'no build script' });
  const bins = [join(dir, 'node_modules', '.bin'), join(root, 'node_modules', '.bin')];
  const PATH = [...bins, process.env.PATH ?? ''].join(':');
  return run('sh', ['-c', script], dir, { PATH });
}

async function checkPackage(dir, tarballs) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const { name } = manifest;
  const packDir = mkdtempSync(join(tarballs, 'pack-'));
  const started = Date.now();
  const build = await runBuild(manifest.scripts?.build, dir);
  if (!build.ok) return { name, failed: 'build', output: build.output };
  const pack = await runPnpm(['pack', '--pack-destination', packDir], dir);
  const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  if (!pack.ok || !tarball) return { name, failed: 'pack', output: pack.output };
  const file = join(packDir, tarball);
  const publint = await run(bin('publint'), ['run', file, '--strict'], root);
  if (!publint.ok) return { name, failed: 'publint', output: publint.output };
  const attw = await run(bin('attw'), [file, '--format', 'ascii', '--no-emoji'], root);
  if (!attw.ok) return { name, failed: 'attw', output: attw.output };
  return { name, dirName: basename(dir), manifest, tarball: file, seconds: (Date.now() - started) / 1000 };
}

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const only = args.filter((a) => !a.startsWith('--'));
const packagesDir = join(root, 'packages');
const dirs = readdirSync(packagesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(packagesDir, d.name, 'package.json')))
  .filter((d) => only.length === 0 || only.includes(d.name))
  .map((d) => join(packagesDir, d.name));

let failures = 0;
let checked = 0;
let last = Date.now();
function record(name, ok, output = '') {
  checked++;
  // Durations are printed for whoever tunes the suite; nothing asserts on them.
  if (process.env.CHECK_TIMINGS) name += ` [${((Date.now() - last) / 1000).toFixed(1)} s]`;
  last = Date.now();
  if (ok) {
    console.log(`ok   ${name}`);
    return;
  }
  failures++;
  console.log(`FAIL ${name}`);
  const text = output
    .split('\n')
    .filter((l) => !/npm warn Unknown user config/.test(l))
    .join('\n')
    .trim();
  if (text) console.log(text.slice(-6000).replace(/^/gm, '     '));
}

// ---- Newest allowed versions -------------------------------------------------------------------
// Runtime dependencies are caret ranges (the lockfile pins what CI tests): a user's install may pick
// newer versions. The consumer project above is installed again without a lockfile, revalidating
// npm's cache against the registry, so every range resolves to the newest version it allows; each
// external runtime dependency must then be that newest version, and the ESM and CJS runs must pass.
async function checkNewest(packed) {
  const consumer = join(work, 'consumer');
  if (!existsSync(join(consumer, 'esm.mjs'))) return; // the consumer check failed before its runs
  const newest = join(work, 'newest');
  mkdirSync(newest);
  for (const file of ['package.json', 'esm.mjs', 'cjs.cjs'])
    copyFileSync(join(consumer, file), join(newest, file));
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--prefer-online'],
    newest,
  );
  record(
    'newest: npm install of the tarballs, no lockfile, ranges resolved online',
    install.ok,
    install.output,
  );
  if (!install.ok) return;
  const ranges = new Map();
  for (const p of packed) {
    for (const [dep, range] of Object.entries(p.manifest.dependencies ?? {})) {
      if (!dep.startsWith('@maven/')) ranges.set(dep, range);
    }
  }
  const stale = [];
  for (const [dep, range] of [...ranges].sort()) {
    const view = await run('npm', ['view', `${dep}@${range}`, 'version', '--json'], newest);
    let allowed;
    try {
      // The JSON is the end of the output (npm's warnings, if any, come first).
      const json = /(\[[^[]*\]|"[^"\n]+")\s*$/.exec(view.output)?.[1];
      allowed = json === undefined ? undefined : [JSON.parse(json)].flat().at(-1);
    } catch {
      allowed = undefined;
    }
    const installed = JSON.parse(
      readFileSync(join(newest, 'node_modules', dep, 'package.json'), 'utf8'),
    ).version;
    if (allowed === undefined || installed !== allowed)
      stale.push(`${dep}@${range}: installed ${installed}, newest allowed ${allowed ?? '(npm view failed)'}`);
  }
  record(
    `newest: ${ranges.size} runtime dependencies at the newest version their range allows`,
    stale.length === 0,
    stale.join('\n'),
  );
  for (const script of ['esm.mjs', 'cjs.cjs']) {
    const out = await run(process.execPath, [script], newest);
    record(
      `newest: ${script === 'esm.mjs' ? 'import (ESM)' : 'require (CJS)'} of every entry`,
      out.ok,
      out.output,
    );
  }
}
// ---- end of newest allowed versions -------------------------------------------------------------
// ── npm pack ──────────────────────────────────────────────────────────────────────────────
// The same packages packed by npm instead of pnpm (npm applies no publishConfig and keeps
// `workspace:` ranges; scripts/pack-manifest.mjs, every package's prepack/postpack, does both), then
// the same consumer checks on those tarballs (ESM and CJS, Node 20 and 22, type-checks, Web entries),
// each line prefixed "npm pack ›". Also: package.json is byte-for-byte back after the pack, and the
// README shipped (shown on the npm site) has no relative links.
async function npmPackOne(p, dir) {
  const packageDir = join(packagesDir, p.dirName);
  const before = readFileSync(join(packageDir, 'package.json'), 'utf8');
  const pack = await run('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], packageDir);
  const after = readFileSync(join(packageDir, 'package.json'), 'utf8');
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  const problems = [];
  if (!pack.ok || !tarball) problems.push(`npm pack failed\n${pack.output}`);
  if (after !== before) problems.push('package.json was not restored after npm pack (postpack)');
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const relative = readme.match(/\]\((?!https?:|#|mailto:)[^)\s]+\)/g) ?? [];
  if (relative.length > 0) problems.push(`README.md has relative links: ${relative.join(' ')}`);
  return { problems, tarball: tarball && join(dir, tarball) };
}

async function checkNpmPack(packed, work) {
  const npmWork = join(work, 'npm');
  mkdirSync(npmWork);
  const npmPacked = [];
  for (const p of packed) {
    const dir = mkdtempSync(join(npmWork, 'pack-'));
    const { problems, tarball } = await npmPackOne(p, dir);
    record(
      `npm pack › ${p.name}: pack (${tarball ? basename(tarball) : 'no tarball'}), package.json restored, README links absolute`,
      problems.length === 0,
      problems.join('\n'),
    );
    if (tarball) npmPacked.push({ ...p, tarball });
  }
  if (npmPacked.length === packed.length) {
    // Where npm's tarball holds the very files of pnpm's (byte for byte) and a package.json that
    // agrees on every field a consumer resolves through, the type-checks and the Web entry scan of
    // pnpm's tarballs hold for it too; installing it and loading every entry are still done here.
    // Any difference: every check again on npm's tarballs.
    const differences = [];
    for (const p of npmPacked) {
      const pnpmTarball = packed.find((q) => q.name === p.name).tarball;
      const diff = await tarballDifference(pnpmTarball, p.tarball, join(npmWork, 'compare', p.dirName));
      if (diff) differences.push(`${p.name}: ${diff}`);
    }
    if (differences.length === 0) {
      record(
        `npm pack › every tarball has the files of pnpm's, byte for byte, and the same ${RESOLVED_FIELDS.length} package.json fields consumers resolve through (its type-checks and Web entry scan hold)`,
        true,
      );
    } else {
      console.log(
        `     npm pack › not the same as pnpm's, so every check runs again:\n${differences.map((d) => `       ${d}`).join('\n')}`,
      );
    }
    const prefixed = (name, ok, output) => record(`npm pack › ${name}`, ok, output);
    await checkConsumer({
      root,
      work: npmWork,
      packages: npmPacked,
      record: prefixed,
      typeChecks: differences.length > 0,
    });
  }
}

/** The package.json fields through which a consumer's install, import, require and types resolve. */
const RESOLVED_FIELDS = [
  'name',
  'version',
  'type',
  'main',
  'module',
  'types',
  'typings',
  'exports',
  'imports',
  'bin',
  'browser',
  'sideEffects',
  'engines',
  'dependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'optionalDependencies',
];

/** What differs between two tarballs' contents (undefined: nothing that matters to a consumer). */
async function tarballDifference(a, b, dir) {
  const trees = [];
  for (const [i, tarball] of [a, b].entries()) {
    const out = join(dir, String(i));
    mkdirSync(out, { recursive: true });
    const untar = await run('tar', ['xzf', tarball, '-C', out], root);
    if (!untar.ok) return `cannot unpack ${basename(tarball)}`;
    trees.push(join(out, 'package'));
  }
  const list = (base, sub = '') =>
    readdirSync(join(base, sub), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? list(base, join(sub, e.name)) : [join(sub, e.name)],
    );
  const [filesA, filesB] = trees.map((t) => list(t).sort());
  if (filesA.join('\n') !== filesB.join('\n')) {
    const only = (x, y) => x.filter((f) => !y.includes(f));
    return `files only in pnpm's: ${only(filesA, filesB).join(', ') || 'none'}; only in npm's: ${only(filesB, filesA).join(', ') || 'none'}`;
  }
  for (const file of filesA) {
    const [bytesA, bytesB] = trees.map((t) => readFileSync(join(t, file)));
    if (file === 'package.json') {
      const [jsonA, jsonB] = [bytesA, bytesB].map((bytes) => JSON.parse(bytes.toString('utf8')));
      for (const field of RESOLVED_FIELDS) {
        if (JSON.stringify(jsonA[field]) !== JSON.stringify(jsonB[field]))
          return `package.json ${field} differs`;
      }
    } else if (!bytesA.equals(bytesB)) return `${file} differs`;
  }
  return undefined;
}
// ── end npm pack ──────────────────────────────────────────────────────────────────────────────

const work = mkdtempSync(join(tmpdir(), 'check-packages-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
try {
  const todo = [];
  for (const dir of dirs) {
    if (isPlaceholder(dir))
      console.log(`skip ${dir.slice(root.length + 1)} (src/index.ts is still a placeholder)`);
    else todo.push(dir);
  }
  // Two builds at a time (2 cores), each package's pack as soon as its build is done; lines print as
  // packages finish.
  const packed = [];
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const result = await checkPackage(todo[next++], tarballs);
      if (result.failed) {
        record(`${result.name}: ${result.failed}`, false, result.output);
      } else {
        record(
          `${result.name}: build, pack (${basename(result.tarball)}), publint, attw [${result.seconds.toFixed(1)} s]`,
          true,
        );
        packed.push(result);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  // The consumer checks need every package it installs; a failed one is already reported above.
  if (packed.length > 0) {
    packed.sort((a, b) => a.name.localeCompare(b.name));
    // The checks of the pnpm tarballs and the npm pack part work in directories of their own, so
    // they run side by side (much of each is npm installing); each line names its part.
    await Promise.all([
      checkConsumer({ root, work, packages: packed, record }).then(() => checkNewest(packed)),
      checkNpmPack(packed, work),
    ]);
  }
} finally {
  if (keep) console.log(`(kept ${work})`);
  else rmSync(work, { recursive: true, force: true });
}
console.log(`packages: ${checked - failures} passed, ${failures} failed`);
process.exit(failures === 0 && (checked > 0 || only.length === 0) ? 0 : 1);
