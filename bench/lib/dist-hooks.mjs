// Module resolution hooks that make a benchmark process run the built packages (packages/*/dist),
// the code users install, instead of the TypeScript sources: tsx compiles sources with esbuild's
// keepNames, whose `__name(...)` call on every function created at run time costs a measurable
// share of a request. Imports of `@maven/wecom-*` and of `packages/<name>/src/<entry>.ts` resolve
// to `packages/<name>/dist/<entry>.mjs` (the crypto package to its Node entry). bench/lib/child.ts
// uses the same mapping (distEntryOf) to link server children that need no hooks at all.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const packages = new URL('../../packages/', import.meta.url);

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

function dist({ name, entry }) {
  const url = new URL(`${name}/dist/${entry}.mjs`, packages);
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(`${fileURLToPath(url)} is missing: run \`pnpm build\` before the benchmark`);
  }
  return url.href;
}

export async function resolve(specifier, context, next) {
  const named = specifier.startsWith('@maven/') ? distEntryOf(specifier) : undefined;
  if (named) return { url: dist(named), shortCircuit: true, format: 'module' };
  const resolved = await next(specifier, context);
  const source = resolved.url.startsWith(packages.href) ? distEntryOf(resolved.url) : undefined;
  if (source) return { url: dist(source), shortCircuit: true, format: 'module' };
  return resolved;
}
