/**
 * Driver for workerd, run by the machine's Node: writes a capnp config for the bundled worker,
 * starts workerd on a free loopback port, collects the crypto contract from inside the worker
 * (`/__contract`), then drives the bot and self-built-app round trips over real HTTP. The worker's active replies go
 * to a response_url sink served here, through an `internet` network that allows loopback.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { type CheckResult, Checks, type RuntimeReport, report } from './checks.ts';
import { roundTrips, standardTargets } from './matrix.ts';
import { serveFetch } from './node-serve.mjs';
import { ResponseUrlSink } from './response-sink.ts';

const bin = process.env.WORKERD_BIN;
const bundle = process.env.WORKER_BUNDLE;
if (!bin || !bundle) throw new Error('WORKERD_BIN and WORKER_BUNDLE are required');

/** A port the OS just handed out; workerd binds it right after (a rare race fails the run loudly). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

function config(port: number, workerFile: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .matrixWorker),
    # The default "internet" service refuses private and local addresses; the response_url sink is on loopback.
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);

# No nodejs_compat on purpose: the Web entries must run on plain workerd.
const matrixWorker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "${workerFile}") ],
  compatibilityDate = "2025-09-01",
);
`;
}

async function waitReady(base: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}: ${log()}`);
    try {
      await fetch(`${base}/__ready`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`workerd did not listen on ${base}: ${log()}`);
}

const checks = new Checks();
const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
const port = await freePort();
// capnp embeds are relative to the config file: write it beside the bundle.
const configFile = join(dirname(bundle), 'matrix.capnp');
writeFileSync(configFile, config(port, basename(bundle)));
let stderr = '';
const child = spawn(bin, ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
child.stderr?.setEncoding('utf8').on('data', (d: string) => {
  stderr += d;
});
const base = `http://127.0.0.1:${port}`;
const sink = new ResponseUrlSink();
const sinkServer = await serveFetch(sink.fetch);
try {
  await waitReady(base, child, () => stderr.slice(-2000));
  await checks.run('workerd: the worker answers its crypto contract', async () => {
    const response = await fetch(`${base}/__contract`);
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`/__contract answered ${response.status}: ${text.slice(0, 500)}`);
    const inner = JSON.parse(text) as RuntimeReport;
    checks.add(inner.results as CheckResult[]);
  });
  checks.add(await roundTrips(standardTargets(base), { base: sinkServer.url, sink }));
} catch (error) {
  await checks.run('workerd: start and serve the worker', () => {
    throw error;
  });
} finally {
  child.kill('SIGTERM');
  await sinkServer.close();
}
const failed = checks.results.some((r) => !r.ok);
if (failed && stderr) console.error(stderr.slice(-4000));
console.log(report('workerd', version, checks.results));
