// Module resolution hooks that make a benchmark process run the built packages (packages/*/dist),
// the code users install, instead of the TypeScript sources: tsx compiles sources with esbuild's
// keepNames, whose `__name(...)` call on every function created at run time costs a measurable
// share of a request. Imports of `@maven/wecom-*` and of `packages/<name>/src/<entry>.ts` resolve
// to `packages/<name>/dist/<entry>.mjs` (the crypto package to its Node entry) of the checkout the
// import comes from: the repository root (the directory with pnpm-workspace.yaml) nearest above
// the importing file, so a process that loads two checkouts (bench/pipeline-ab.mjs) runs each on
// its own packages. bench/lib/child.ts uses the same mapping (distEntryOf) to link server children
// that need no hooks at all.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const thisRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The package and dist entry (`index`, `index.node`, …) that `@maven/wecom-<name>[/node|/web]` or
 * a `…/packages/<name>/src/<entry>.ts` path or URL stands for; undefined for anything else.
 */
export function distEntryOf(specifier) {
  const named = /^@maven\/wecom-([a-z]+)(?:\/(node|web))?$/.exec(specifier);
  if (named) {
    const [, name, sub] = named;
    return { name, entry: name === 'crypto' ? `index.${sub ?? 'node'}` : 'index' };
  }
  const source = /\/packages\/([a-z]+)\/src\/(index(?:\.node|\.web)?)\.ts$/.exec(specifier);
  return source ? { name: source[1], entry: source[2] } : undefined;
}

const roots = new Map();
/** The checkout a file URL lies in (nearest pnpm-workspace.yaml above it); this one's if none. */
function rootOf(url) {
  if (!url?.startsWith('file:')) return thisRoot;
  let dir = dirname(fileURLToPath(url));
  const seen = [];
  let root = thisRoot;
  for (;;) {
    if (roots.has(dir)) {
      root = roots.get(dir);
      break;
    }
    seen.push(dir);
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) {
      root = `${dir}/`;
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const d of seen) roots.set(d, root);
  return root;
}

function dist(root, { name, entry }) {
  const file = join(root, 'packages', name, 'dist', `${entry}.mjs`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm build\` before the benchmark`);
  return pathToFileURL(file).href;
}

export async function resolve(specifier, context, next) {
  const named = specifier.startsWith('@maven/') ? distEntryOf(specifier) : undefined;
  if (named) return { url: dist(rootOf(context.parentURL), named), shortCircuit: true, format: 'module' };
  const resolved = await next(specifier, context);
  const root = resolved.url.startsWith('file:') ? rootOf(resolved.url) : undefined;
  const inPackages = root && fileURLToPath(resolved.url).startsWith(join(root, 'packages/'));
  const source = inPackages ? distEntryOf(resolved.url) : undefined;
  if (source) return { url: dist(root, source), shortCircuit: true, format: 'module' };
  return resolved;
}
