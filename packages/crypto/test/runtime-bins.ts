/**
 * The Deno and Bun binaries of the runtime matrix (test/runtimes devDependencies), resolved the way
 * scripts/runtimes.mjs does: pnpm nests each platform binary under its wrapper package.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const runtimes = createRequire(join(root, 'test', 'runtimes', 'package.json'));

function binary(wrapper: string, platformPackage: string, file: string): string {
  const from = createRequire(runtimes.resolve(`${wrapper}/package.json`));
  const path = join(dirname(from.resolve(`${platformPackage}/package.json`)), file);
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  return path;
}

export const denoBinary = (): string => binary('deno', '@deno/linux-x64-glibc', 'deno');
export const bunBinary = (): string => binary('bun', '@oven/bun-linux-x64', join('bin', 'bun'));
export const workerdBinary = (): string =>
  binary('workerd', '@cloudflare/workerd-linux-64', join('bin', 'workerd'));
