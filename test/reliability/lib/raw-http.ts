/**
 * Requests no well-behaved client sends, on raw sockets: absurd Content-Length, bodies larger than
 * the cap (declared, or chunked without a length), and slow bodies that stall half-way. Resolves
 * with the status line's code, or 0 when the server closed without answering.
 */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';

export interface RawOptions {
  port: number;
  /** Request line and headers, without the final blank line. */
  head: string;
  /** Body parts, written in order; `pauseMs` waits before the next part. */
  parts?: { data: string | Buffer; pauseMs?: number }[];
  /** Give up after this long (the answer counts as 0). */
  timeoutMs?: number;
}

export function rawRequest(options: RawOptions): Promise<number> {
  return new Promise((done) => {
    const socket = connect(options.port, '127.0.0.1');
    let received = '';
    let settled = false;
    const finish = (status: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done(status);
    };
    const timer = setTimeout(() => finish(0), options.timeoutMs ?? 30_000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (match) finish(Number(match[1]));
    });
    // The server may answer (413) and close while we are still writing: the answer counts.
    socket.on('error', () => {
      setTimeout(() => finish(0), 50);
    });
    socket.on('close', () => setTimeout(() => finish(0), 50));
    socket.on('connect', async () => {
      socket.write(`${options.head}\r\n\r\n`);
      for (const part of options.parts ?? []) {
        if (settled || socket.destroyed) return;
        if (part.pauseMs) await new Promise((r) => setTimeout(r, part.pauseMs));
        if (settled || socket.destroyed) return;
        socket.write(part.data);
      }
    });
  });
}

export interface SimpleResponse {
  status: number;
  body: string;
}

/** A keep-alive client for the flood: one request, status and body (status 0 on a network error). */
export function createFloodClient(port: number, sockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const send = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | Buffer,
  ): Promise<SimpleResponse> =>
    new Promise((done) => {
      const payload = typeof body === 'string' ? Buffer.from(body) : body;
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent,
          headers: { ...headers, 'content-length': String(payload.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', () => done({ status: res.statusCode ?? 0, body: '' }));
        },
      );
      req.on('error', () => done({ status: 0, body: '' }));
      req.end(payload);
    });
  return { send, close: () => agent.destroy() };
}

/**
 * A slow-header connection: the request line and one header, then one more header line every
 * `everyMs`, never the blank line. Resolves with the status the server answered (408 expected
 * once its headersTimeout passed), or 0 when it closed without one or `timeoutMs` passed.
 */
export function slowHeaders(port: number, path: string, everyMs: number, timeoutMs: number): Promise<number> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    let tick: ReturnType<typeof setInterval> | undefined;
    const finish = (status: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(tick);
      socket.destroy();
      done(status);
    };
    const timer = setTimeout(() => finish(0), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (match) finish(Number(match[1]));
    });
    socket.on('error', () => setTimeout(() => finish(0), 50));
    socket.on('close', () => setTimeout(() => finish(0), 50));
    socket.on('connect', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\n`);
      let n = 0;
      tick = setInterval(() => {
        if (!socket.destroyed) socket.write(`X-Slow-${n++}: y\r\n`);
      }, everyMs);
    });
  });
}

/**
 * What an ordinary HTTP client does with a large upload: node:http streams `bytes` in 64 KiB
 * writes and waits for the response. Resolves with the status it read, or 0 when it saw only a
 * reset or a closed socket (the server answered and closed while the body was still being sent).
 */
export function ordinaryUpload(
  port: number,
  path: string,
  bytes: number,
  timeoutMs = 30_000,
): Promise<number> {
  return new Promise((done) => {
    let settled = false;
    const finish = (status: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      done(status);
    };
    const timer = setTimeout(() => finish(0), timeoutMs);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(bytes) },
      },
      (res) => {
        res.resume();
        finish(res.statusCode ?? 0);
      },
    );
    req.on('error', () => finish(0));
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const pump = () => {
      while (sent < bytes && !settled) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (!settled) req.end();
    };
    pump();
  });
}

export interface TrickleOutcome {
  /** The status line's code the client read, or 0 when none arrived. */
  status: number;
  /** 'server': the server closed the connection (after its answer or without one); 'client': we closed after a 200 (keep-alive); 'hang': still open at `timeoutMs`, destroyed by us. */
  closedBy: 'server' | 'client' | 'hang';
  /** Body bytes written before the end. */
  bytesSent: number;
}

export interface Trickle {
  /** Sockets connected with their head written, so far. */
  readonly connected: number;
  /** Connections that have ended, so far. */
  readonly ended: number;
  /** Resolves once every connection has ended, with their outcomes in request order. */
  readonly done: Promise<TrickleOutcome[]>;
}

/**
 * Slow bodies on raw sockets: each request's head (request line and headers, with a true
 * Content-Length) at once, then its body one byte per `everyMs` (one shared timer for all). A
 * connection stops writing once it reads a status line; it ends when the server closes it, or,
 * after a 200 on a keep-alive connection, when we close it; one still open at `timeoutMs` is a hang.
 */
export function trickleBodies(
  port: number,
  requests: readonly { head: string; body: string }[],
  everyMs: number,
  timeoutMs: number,
): Trickle {
  let connected = 0;
  let ended = 0;
  const live = new Set<() => void>();
  const tick = setInterval(() => {
    for (const write of live) write();
  }, everyMs);
  const one = (head: string, body: Buffer) =>
    new Promise<TrickleOutcome>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      let status = 0;
      let sent = 0;
      let settled = false;
      const write = () => {
        if (sent < body.length && !socket.destroyed) socket.write(body.subarray(sent, ++sent));
      };
      const finish = (closedBy: TrickleOutcome['closedBy']) => {
        if (settled) return;
        settled = true;
        ended++;
        live.delete(write);
        clearTimeout(timer);
        socket.destroy();
        resolve({ status, closedBy, bytesSent: sent });
      };
      const timer = setTimeout(() => finish('hang'), timeoutMs);
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        if (status !== 0) return;
        received += chunk;
        const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
        if (!match) return;
        status = Number(match[1]);
        live.delete(write);
        if (status === 200) finish('client');
      });
      socket.on('error', () => undefined);
      socket.on('close', () => finish('server'));
      socket.on('connect', () => {
        socket.write(`${head}\r\n\r\n`);
        connected++;
        live.add(write);
      });
    });
  const done = Promise.all(requests.map((r) => one(r.head, Buffer.from(r.body)))).finally(() =>
    clearInterval(tick),
  );
  return {
    get connected() {
      return connected;
    },
    get ended() {
      return ended;
    },
    done,
  };
}
