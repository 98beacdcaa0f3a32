/**
 * A real Redis for tests, shared by every package that needs one (import by relative path).
 *
 * getTestRedis(): REDIS_URL (default redis://127.0.0.1:6379) when it answers PING; otherwise a
 * private redis-server on a free loopback port when `redis-server` is on PATH; otherwise a skip
 * reason. Tests then skip with one loud line, unless WECOM_REQUIRE_REDIS=1 (set by .ci/run), which
 * turns the skip into a failure. startOwnRedis() always starts a private server, for tests that
 * kill and restart it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface TestRedis {
  /** redis://127.0.0.1:<port> (with the credentials of REDIS_URL, if any); '' when skipped. */
  url: string;
  host: string;
  port: number;
  /** True when this process started the server: `stop()` and `start()` work on it. */
  owned: boolean;
  /**
   * external: REDIS_URL answered. redis-server: a private child process. proxy: no redis-server on
   * PATH, so a private TCP proxy in front of the external Redis stands in for a server that can be
   * stopped and started. none: nothing available (see skipReason).
   */
  mode: 'external' | 'redis-server' | 'proxy' | 'none';
  /** The password an owned redis-server requires (startOwnRedis({ password })). */
  password?: string;
  /** Set when no Redis is available; tests skip (or fail under WECOM_REQUIRE_REDIS=1). */
  skipReason?: string;
  /** Kills an owned server (SIGKILL: a crash, not a shutdown); a no-op for an external one. */
  stop(): Promise<void>;
  /** Starts an owned server again on the same port; a no-op for an external one. */
  start(): Promise<void>;
}

export interface OwnRedisOptions {
  /** Start redis-server with --requirepass; needs the binary (a proxy cannot enforce it). */
  password?: string;
  /** Directories searched for redis-server. Default: PATH. */
  searchPath?: string;
  /** For the proxy fallback: the Redis to stand in front of. Default: getTestRedis(). */
  url?: string;
}

export interface TestRedisOptions {
  /** Default: WECOM_TEST_REDIS_URL (set by the global setup), REDIS_URL, redis://127.0.0.1:6379. */
  url?: string;
  /** Directories searched for redis-server. Default: PATH. */
  searchPath?: string;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const children = new Set<ChildProcess>();
let exitHook = false;
let shared: Promise<TestRedis> | undefined;

/** True when the Redis tests must run (WECOM_REQUIRE_REDIS=1): a missing Redis fails the suite. */
export function redisRequired(env: Record<string, string | undefined> = process.env): boolean {
  return env.WECOM_REQUIRE_REDIS === '1' || env.WECOM_REQUIRE_REDIS === 'true';
}

/**
 * The Redis for this test process (memoised). Pass options for a fresh, un-memoised lookup.
 */
export function getTestRedis(options?: TestRedisOptions): Promise<TestRedis> {
  if (options) return findRedis(options);
  shared ??= findRedis({});
  return shared;
}

async function findRedis(options: TestRedisOptions): Promise<TestRedis> {
  const inherited = options.url === undefined ? process.env.WECOM_TEST_REDIS_SKIP : undefined;
  if (inherited) return unavailable(inherited);
  const url = options.url ?? process.env.WECOM_TEST_REDIS_URL ?? process.env.REDIS_URL ?? DEFAULT_URL;
  const target = parseUrl(url);
  if (target && (await ping(target))) return external(url, target);
  const binary = findRedisServer(options.searchPath);
  if (binary) return spawnRedisServer(binary);
  return unavailable(
    `no Redis answered PING at ${safeUrl(url)} and redis-server is not on PATH (start Redis, set REDIS_URL, or install redis-server)`,
  );
}

/**
 * A private Redis this process controls: a redis-server child when the binary is on PATH, else a
 * stoppable TCP proxy in front of the Redis that getTestRedis() found, else a skip reason.
 */
export async function startOwnRedis(options: OwnRedisOptions = {}): Promise<TestRedis> {
  const binary = findRedisServer(options.searchPath);
  if (binary) return spawnRedisServer(binary, options.password);
  if (options.password !== undefined)
    return unavailable('a password-protected Redis needs redis-server on PATH');
  const upstream = await getTestRedis(options.url === undefined ? undefined : { url: options.url });
  if (upstream.skipReason) return upstream;
  return startProxy(upstream);
}

/**
 * Decides whether the Redis tests of a file run: false when Redis is there; true (skip) with one
 * loud console line when it is not; throws when WECOM_REQUIRE_REDIS=1, so the suite fails.
 */
export function skipWithoutRedis(
  redis: TestRedis,
  env: Record<string, string | undefined> = process.env,
): boolean {
  if (!redis.skipReason) return false;
  if (redisRequired(env))
    throw new Error(`Redis is required (WECOM_REQUIRE_REDIS=1) but unavailable: ${redis.skipReason}`);
  // The global setup already printed the line for this run.
  if (env.WECOM_TEST_REDIS_SKIP !== redis.skipReason) announceSkip(redis.skipReason);
  return true;
}

export function announceSkip(
  reason: string,
  hint = 'Set WECOM_REQUIRE_REDIS=1 to make this a failure (CI does)',
): void {
  console.warn(`\n!!! REDIS TESTS SKIPPED: ${reason}. ${hint}.\n`);
}

/** PING over a raw socket (AUTH first when the URL has credentials); false on any failure. */
export async function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const target = parseUrl(url);
  return target ? ping(target, timeoutMs) : false;
}

interface Target {
  host: string;
  port: number;
  username: string;
  password: string;
}

function parseUrl(url: string): Target | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'redis:') return undefined;
    return {
      host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: Number(u.port || 6379),
      username: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
    };
  } catch {
    return undefined;
  }
}

function safeUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//[credentials]@');
}

function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

function ping(target: Target, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const socket: Socket = createConnection({ host: target.host, port: target.port }, () => {
      const auth = target.password
        ? target.username
          ? command('AUTH', target.username, target.password)
          : command('AUTH', target.password)
        : '';
      socket.write(auth + command('PING'));
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (/(?:^|\n)-/.test(answer)) finish(false);
      else if (answer.includes('+PONG\r\n')) finish(true);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

function findRedisServer(searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, 'redis-server');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function unavailable(reason: string): TestRedis {
  return {
    url: '',
    host: '',
    port: 0,
    owned: false,
    mode: 'none',
    skipReason: reason,
    stop: async () => {},
    start: async () => {},
  };
}

function external(url: string, target: Target): TestRedis {
  return {
    url,
    host: target.host,
    port: target.port,
    owned: false,
    mode: 'external',
    stop: async () => {},
    start: async () => {},
  };
}

function killOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}

async function launch(binary: string, port: number, password: string | undefined): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (password !== undefined) args.push('--requirepass', password);
  const child = spawn(binary, args, { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  killOnExit();
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-2000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    children.delete(child);
  });
  const target = { host: '127.0.0.1', port, username: '', password: password ?? '' };
  for (let i = 0; i < 250; i++) {
    if (exited) throw new Error(`redis-server exited on port ${port}: ${output.trim()}`);
    if (await ping(target, 200)) return child;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on port ${port}: ${output.trim()}`);
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function spawnRedisServer(binary: string, password?: string): Promise<TestRedis> {
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      child = await launch(binary, port, password);
      break;
    } catch (error) {
      // Another process may have taken the port between the probe and the bind.
      if (attempt >= 2) throw error;
    }
  }
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    owned: true,
    mode: 'redis-server',
    ...(password === undefined ? {} : { password }),
    stop: async () => {
      await kill(child);
      child = undefined;
    },
    start: async () => {
      if (child && child.exitCode === null && child.signalCode === null) return;
      child = await launch(binary, port, password);
    },
  };
}

async function startProxy(upstream: TestRedis): Promise<TestRedis> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const remote = createConnection({ host: upstream.host, port: upstream.port });
        for (const socket of [client, remote]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            remote.destroy();
          });
        }
        client.pipe(remote).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve();
      });
    });
  await open();
  const credentials = /\/\/([^/@]*@)/.exec(upstream.url)?.[1] ?? '';
  return {
    url: `redis://${credentials}127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    owned: true,
    mode: 'proxy',
    stop: async () => {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise((r) => s.close(r));
    },
    start: async () => {
      if (!server) await open();
    },
  };
}
