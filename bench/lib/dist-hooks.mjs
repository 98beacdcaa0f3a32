// Module resolution hooks that make a benchmark process run the built packages (packages/*/dist),
// the code users install, instead of the TypeScript sources: tsx compiles sources with esbuild's
// keepNames, whose `__name(...)` call on every function created at run time costs a measurable
// share of a request. Imports of `@maven/wecom-*` and of `packages/<name>/src/<entry>.ts` resolve
// to `packages/<name>/dist/<entry>.mjs` (the crypto package to its Node entry).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const packages = new URL('../../packages/', import.meta.url);

function dist(name, entry) {
  const url = new URL(`${name}/dist/${entry}.mjs`, packages);
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(`${fileURLToPath(url)} is missing: run \`pnpm build\` before the benchmark`);
  }
  return url.href;
}

export async function resolve(specifier, context, next) {
  const named = /^@maven\/wecom-([a-z]+)(?:\/(node|web))?$/.exec(specifier);
  if (named) {
    const [, name, sub] = named;
    const entry = name === 'crypto' ? `index.${sub ?? 'node'}` : 'index';
    return { url: dist(name, entry), shortCircuit: true, format: 'module' };
  }
  const resolved = await next(specifier, context);
  const source = /\/packages\/([a-z]+)\/src\/(index(?:\.node|\.web)?)\.ts$/.exec(resolved.url);
  if (source && resolved.url.startsWith(packages.href)) {
    return { url: dist(source[1], source[2]), shortCircuit: true, format: 'module' };
  }
  return resolved;
}
