#!/usr/bin/env node
// The publish manifest, whichever client packs: every package runs this as its `prepack` and
// `postpack` script (npm, pnpm and yarn all run both around `pack` and `publish`).
//   prepack:  keeps package.json aside, then writes the manifest a consumer must get: the fields of
//             `publishConfig` (the dist `main`/`types`/`exports`) in place of the workspace ones
//             (which point at src/*.ts), and every `workspace:` range replaced by the version it
//             stands for, as pnpm does (`workspace:*` → 1.2.3, `workspace:^` → ^1.2.3).
//   postpack: puts the kept package.json back.
// pnpm does the same rewrite on its own; npm does none, so without this an `npm pack`/`npm publish`
// would ship src exports that are not in the tarball and `workspace:*` ranges no client can install.
// A pack that fails after prepack leaves the copy aside; the next prepack or postpack restores it.
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const KEPT = '.package.json.workspace';
/** publishConfig keys that configure the client itself and stay where they are. */
const CLIENT_KEYS = new Set(['access', 'registry', 'tag', 'provenance', 'directory', 'linkDirectory']);
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];

/** name → version of every package in the workspace (packages/*, examples/*). */
function workspaceVersions() {
  const versions = new Map();
  for (const group of ['packages', 'examples']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(file)) continue;
      const { name, version } = JSON.parse(readFileSync(file, 'utf8'));
      if (name && version) versions.set(name, version);
    }
  }
  return versions;
}

/** `workspace:<range>` of `name` as a registry range, with pnpm's meaning of `*`, `^` and `~`. */
function resolveWorkspaceRange(name, spec, versions) {
  let range = spec.slice('workspace:'.length);
  // `workspace:alias@range` names another package.
  const alias = /^(@?[^@]+)@(.*)$/.exec(range);
  const target = alias ? alias[1] : name;
  if (alias) range = alias[2];
  const version = versions.get(target);
  if (range === '*' || range === '^' || range === '~') {
    if (!version) throw new Error(`${name}: ${spec} names no package of this workspace`);
    return `${alias ? `npm:${target}@` : ''}${range === '*' ? '' : range}${version}`;
  }
  return alias ? `npm:${target}@${range}` : range;
}

export function publishManifest(manifest, versions) {
  const out = { ...manifest };
  const publishConfig = { ...(manifest.publishConfig ?? {}) };
  for (const [key, value] of Object.entries(publishConfig)) {
    if (CLIENT_KEYS.has(key)) continue;
    out[key] = value;
    delete publishConfig[key];
  }
  if (manifest.publishConfig) out.publishConfig = publishConfig;
  for (const field of DEPENDENCY_FIELDS) {
    if (!manifest[field]) continue;
    out[field] = Object.fromEntries(
      Object.entries(manifest[field]).map(([name, spec]) => [
        name,
        typeof spec === 'string' && spec.startsWith('workspace:')
          ? resolveWorkspaceRange(name, spec, versions)
          : spec,
      ]),
    );
  }
  return out;
}

function restore(dir) {
  const kept = join(dir, KEPT);
  if (existsSync(kept)) renameSync(kept, join(dir, 'package.json'));
}

const step = process.argv[1] === fileURLToPath(import.meta.url) ? process.argv[2] : undefined;
const dir = process.cwd();
if (step === 'prepack') {
  restore(dir);
  const text = readFileSync(join(dir, 'package.json'), 'utf8');
  const manifest = publishManifest(JSON.parse(text), workspaceVersions());
  writeFileSync(join(dir, KEPT), text);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
} else if (step === 'postpack') {
  restore(dir);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.error(`usage: node scripts/pack-manifest.mjs prepack|postpack (got "${step}")`);
  process.exit(2);
}
