/**
 * A real 3-master Redis Cluster for tests: three redis-server children with --cluster-enabled on
 * free loopback ports, joined by `redis-cli --cluster create`, each with its own temp directory
 * (removed by stop()). When redis-server or redis-cli is missing it answers a skip reason, which
 * skipWithoutRedis() turns into a failure under WECOM_REQUIRE_REDIS=1 (CI sets it).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestRedisCluster {
  /** The three masters, 127.0.0.1 and their ports ([] when skipped). */
  nodes: { host: string; port: number }[];
  /** Set when the cluster cannot be started; the tests skip (or fail under WECOM_REQUIRE_REDIS=1). */
  skipReason?: string;
  /** Kills the three servers and removes their temp directories; safe to call twice. */
  stop(): Promise<void>;
}

function findBinary(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A free port P whose cluster bus port P + 10000 is free too. */
async function freeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (port + 10_000 < 65_536 && (await listenOnce(port + 10_000).catch(() => 0)) > 0) return port;
  }
  throw new Error('no free port pair (P, P + 10000) for a cluster node');
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}

async function cli(binary: string, port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(binary, ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 10_000,
  });
  return stdout;
}

async function until(what: string, check: () => Promise<boolean>, tries = 250): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new Error(`Redis Cluster: ${what} did not happen in time`);
}

/** Starts the cluster; resolves once `cluster info` says cluster_state:ok on every node. */
export async function startRedisCluster(searchPath?: string): Promise<TestRedisCluster> {
  const server = findBinary('redis-server', searchPath);
  const client = findBinary('redis-cli', searchPath);
  if (!server || !client)
    return {
      nodes: [],
      skipReason: 'a Redis Cluster test needs redis-server and redis-cli on PATH',
      stop: async () => {},
    };
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(
      children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        return exited;
      }),
    );
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      let port = await freeClusterPort();
      while (ports.includes(port)) port = await freeClusterPort();
      ports.push(port);
    }
    for (const port of ports) {
      const dir = mkdtempSync(join(tmpdir(), 'wecom-cluster-'));
      dirs.push(dir);
      const child = spawn(
        server,
        [
          '--cluster-enabled',
          'yes',
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          '2000',
        ],
        { cwd: dir, stdio: 'ignore' },
      );
      children.push(child);
    }
    for (const port of ports)
      await until(`node ${port} answering PING`, async () =>
        (await cli(client, port, 'PING')).includes('PONG'),
      );
    await run(
      client,
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 20_000 },
    );
    for (const port of ports)
      await until(`cluster_state:ok on ${port}`, async () =>
        (await cli(client, port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
      );
    return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
