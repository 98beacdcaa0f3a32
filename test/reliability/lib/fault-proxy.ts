/**
 * A probabilistic fault proxy in front of the simulated WeCom. The simulator's own `inject` is a
 * queue (the next N calls of a route fail); under load with 100 requests in flight a queue cannot
 * say which reply gets the fault, so this proxy decides per request, from a seeded generator:
 * with probability `rate` the call is answered with errcode -1, 6000 or 45009, HTTP 500/502/503,
 * or a dropped connection (before forwarding, or after the simulator accepted it: the SDK then
 * cannot know whether WeCom got it). It can also delay answers (replies in flight).
 *
 * It records every decision, so the test knows how many calls the simulator accepted while the SDK
 * was told nothing.
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { seeded } from './random.ts';

export type FaultKind =
  | 'errcode:-1'
  | 'errcode:6000'
  | 'errcode:45009'
  | 'status:5xx'
  | 'drop'
  | 'drop-after';

export const FAULT_KINDS: readonly FaultKind[] = [
  'errcode:-1',
  'errcode:6000',
  'errcode:45009',
  'status:5xx',
  'drop',
  'drop-after',
];

export interface FaultProxyOptions {
  /** Where calls go when no fault is chosen (the simulator's URL). */
  upstream: string;
  /** Probability of a fault per call. Default 0.2. */
  rate?: number;
  seed?: number;
  /** Extra latency before each answer, ms: a number or a function of the path (default none). */
  delayMs?: number | ((path: string) => number);
  /** Calls whose path does not match are forwarded untouched. Default: every call. */
  applies?: (path: string) => boolean;
}

export interface ProxyStats {
  calls: number;
  forwarded: number;
  faults: Record<FaultKind, number>;
  /** Per route key ('aibot/response', 'message/send', 'gettoken'): calls and faults. */
  byRoute: Record<string, { calls: number; faults: number }>;
  /** Calls the simulator accepted (errcode 0) whose answer was then dropped, per route. */
  acceptedThenDropped: Record<string, number>;
}

export interface FaultProxy {
  readonly url: string;
  stats(): ProxyStats;
  /** Changes the fault rate (e.g. 0 for a clean phase). */
  setRate(rate: number): void;
  close(): Promise<void>;
}

function routeOf(path: string): string {
  const p = path.split('?', 1)[0] ?? '';
  return p.startsWith('/cgi-bin/') ? p.slice('/cgi-bin/'.length) : p;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => done(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const random = seeded(options.seed ?? 1);
  let rate = options.rate ?? 0.2;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const sockets = new Set<Socket>();
  const stats: ProxyStats = {
    calls: 0,
    forwarded: 0,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    byRoute: {},
    acceptedThenDropped: {},
  };
  let statusTurn = 0;

  const delay = (path: string): Promise<void> => {
    const ms = typeof options.delayMs === 'function' ? options.delayMs(path) : (options.delayMs ?? 0);
    return ms > 0 ? new Promise((done) => setTimeout(done, ms)) : Promise.resolve();
  };

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> =>
    new Promise((done, fail) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined && k !== 'host' && k !== 'connection') headers[k] = String(v);
      }
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const h: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding')
                h[k] = String(v);
            }
            done({ status: res.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) });
          });
          res.on('error', fail);
        },
      );
      out.on('error', fail);
      out.end(body);
    });

  const answerJson = (res: ServerResponse, status: number, value: unknown) => {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    const path = req.url ?? '/';
    const route = routeOf(path);
    stats.calls++;
    stats.byRoute[route] ??= { calls: 0, faults: 0 };
    const r = stats.byRoute[route];
    r.calls++;
    const applies = options.applies?.(path) ?? true;
    const fault =
      applies && random() < rate ? FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)]! : undefined;
    await delay(path);
    if (fault !== undefined) {
      stats.faults[fault]++;
      r.faults++;
    }
    switch (fault) {
      case 'errcode:-1':
        return answerJson(res, 200, { errcode: -1, errmsg: 'system busy' });
      case 'errcode:6000':
        return answerJson(res, 200, { errcode: 6000, errmsg: 'data version conflict' });
      case 'errcode:45009':
        return answerJson(res, 200, { errcode: 45009, errmsg: 'api freq out of limit' });
      case 'status:5xx': {
        const status = [500, 502, 503][statusTurn++ % 3]!;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(`simulated HTTP ${status}`);
        return;
      }
      case 'drop':
        req.socket.destroy();
        return;
      default:
        break;
    }
    const answer = await forward(req, body);
    stats.forwarded++;
    if (fault === 'drop-after') {
      let errcode: unknown;
      try {
        errcode = (JSON.parse(answer.body.toString('utf8')) as { errcode?: unknown }).errcode;
      } catch {
        errcode = undefined;
      }
      if (answer.status === 200 && (errcode === 0 || errcode === undefined)) {
        stats.acceptedThenDropped[route] = (stats.acceptedThenDropped[route] ?? 0) + 1;
      }
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.length });
    res.end(answer.body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) answerJson(res, 502, { errcode: -1, errmsg: 'fault proxy: upstream failed' });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => structuredClone(stats),
    setRate(next) {
      rate = next;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        for (const s of sockets) s.destroy();
        agent.destroy();
      }),
  };
}
