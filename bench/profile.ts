/**
 * Where the time goes on the WeCom route: the inbound benchmark's server in a child process under
 * `--cpu-prof`, loaded by autocannon (50 connections) for a few seconds, then the profile reduced
 * to the functions with the most total and self time.
 *
 * node --import tsx bench/profile.ts [bot|app] [--adapter node] [--apps 1] [--seconds 6] [--top 30]
 *   [--root <checkout>]   (another checkout's server on its own built packages, e.g. a previous commit)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONTENT_TYPE, Cursor, rawRequest, run } from './inbound.bench.ts';
import { benchFromDist, startChild } from './lib/child.ts';
import { appCallbackPool, benchApps, botCallbackPool } from './lib/fixtures.ts';
import { type AdapterName, REPO_ROOT } from './lib/frameworks.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const kind = (process.argv[2]?.startsWith('--') ? undefined : process.argv[2]) === 'app' ? 'app' : 'bot';
const adapter = arg('--adapter', 'node') as AdapterName;
const apps = Number(arg('--apps', '1'));
const seconds = Number(arg('--seconds', '6'));
const top = Number(arg('--top', '30'));
const root = resolve(arg('--root', REPO_ROOT));

const path = kind === 'bot' ? '/wecom/bot' : '/wecom/callback';
const pool = (
  kind === 'bot'
    ? botCallbackPool(seconds * 6000, path)
    : appCallbackPool(seconds * 6000, path, benchApps(apps).at(-1)!)
).map((r) => rawRequest(r.path, r.body, CONTENT_TYPE[kind]));
const dir = mkdtempSync(join(tmpdir(), 'wecom-profile-'));
const child = await startChild('bench/inbound-server.ts', {
  args: [JSON.stringify({ adapter, kind, apps })],
  nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  dist: benchFromDist(),
  root,
});
const result = await run(child.url, seconds, 50, new Cursor(pool));
await child.stop();
// The server's own profile is the largest (tsx's loader thread writes a small one too).
const file = readdirSync(dir)
  .map((f) => join(dir, f))
  .sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
rmSync(dir, { recursive: true, force: true });

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: ProfileNode) => {
  const url = n.callFrame.url;
  const where = url.includes('/packages/') ? url.split('/packages/')[1]! : url.split('/').slice(-2).join('/');
  return `${n.callFrame.functionName || '(anonymous)'} ${where}`;
};
const self = new Map<string, number>();
const total = new Map<string, number>();
let all = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  all += dt;
  let id: number | undefined = profile.samples[i]!;
  const leaf = label(byId.get(id)!);
  self.set(leaf, (self.get(leaf) ?? 0) + dt);
  const seen = new Set<string>();
  while (id !== undefined) {
    const name = label(byId.get(id)!);
    if (!seen.has(name)) total.set(name, (total.get(name) ?? 0) + dt);
    seen.add(name);
    id = parent.get(id);
  }
}
const list = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, t]) => `${((100 * t) / all).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');
console.log(
  `${kind} callbacks, ${adapter}${kind === 'app' ? `, ${apps} apps` : ''}: ${Math.round(result.requests.average)} req/s under the profiler`,
);
console.log(`\ntotal time (function and its callees)\n${list(total)}`);
console.log(`\nself time\n${list(self)}`);
