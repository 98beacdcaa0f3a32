/**
 * Real proxy servers on loopback for the proxy tests: an HTTP proxy that tunnels with CONNECT
 * (what undici's ProxyAgent speaks, for http and https targets) and a SOCKS5 proxy (no auth, or
 * user/password), each counting what passes through it. Only loopback targets are tunnelled.
 */
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface CountingProxy {
  /** `http://127.0.0.1:PORT` or `socks5://127.0.0.1:PORT`. */
  readonly url: string;
  /** `host:port` of every tunnel opened, in order. */
  readonly tunnels: string[];
  /** Proxy-Authorization headers (HTTP) or `user:password` (SOCKS5) seen, in order. */
  readonly credentials: string[];
  /** Bytes that went through the tunnels, both directions. */
  bytes(): number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function pipeCounted(a: Socket, b: Socket, count: (n: number) => void): void {
  a.on('data', (chunk: Buffer) => count(chunk.length));
  b.on('data', (chunk: Buffer) => count(chunk.length));
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end).on('close', end);
  b.on('error', end).on('close', end);
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

/** An HTTP proxy that only does CONNECT (plain requests get 405). */
export async function startConnectProxy(): Promise<CountingProxy> {
  const tunnels: string[] = [];
  const credentials: string[] = [];
  const sockets = new Set<Socket>();
  let bytes = 0;
  const server = createHttpServer((_req, res) => {
    res.writeHead(405).end('CONNECT only');
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    const target = req.url ?? '';
    const at = target.lastIndexOf(':');
    const host = target.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(target.slice(at + 1));
    if (req.headers['proxy-authorization']) credentials.push(req.headers['proxy-authorization']);
    if (!LOOPBACK.has(host) || !Number.isInteger(port)) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    tunnels.push(target);
    const upstream = connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      pipeCounted(client, upstream, (n) => {
        bytes += n;
      });
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    credentials,
    bytes: () => bytes,
    close: closer(server, sockets),
  };
}

/** A SOCKS5 proxy (RFC 1928 CONNECT; RFC 1929 user/password when the client offers it). */
export async function startSocks5Proxy(): Promise<CountingProxy> {
  const tunnels: string[] = [];
  const credentials: string[] = [];
  const sockets = new Set<Socket>();
  let bytes = 0;
  const server = createServer((client) => {
    sockets.add(client);
    let buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'auth' | 'request' | 'open' = 'greeting';
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 'greeting') {
        if (buffer.length < 2 || buffer.length < 2 + buffer[1]!) return;
        const methods = [...buffer.subarray(2, 2 + buffer[1]!)];
        buffer = buffer.subarray(2 + buffer[1]!);
        const method = methods.includes(2) ? 2 : methods.includes(0) ? 0 : 0xff;
        client.write(Buffer.from([5, method]));
        if (method === 0xff) return void client.end();
        stage = method === 2 ? 'auth' : 'request';
      }
      if (stage === 'auth') {
        if (buffer.length < 2) return;
        const userLength = buffer[1]!;
        if (buffer.length < 3 + userLength) return;
        const passLength = buffer[2 + userLength]!;
        if (buffer.length < 3 + userLength + passLength) return;
        const user = buffer.subarray(2, 2 + userLength).toString();
        const pass = buffer.subarray(3 + userLength, 3 + userLength + passLength).toString();
        credentials.push(`${user}:${pass}`);
        buffer = buffer.subarray(3 + userLength + passLength);
        client.write(Buffer.from([1, 0]));
        stage = 'request';
      }
      if (stage === 'request') {
        if (buffer.length < 5) return;
        const type = buffer[3];
        let host: string;
        let offset: number;
        if (type === 1) {
          if (buffer.length < 10) return;
          host = [...buffer.subarray(4, 8)].join('.');
          offset = 8;
        } else if (type === 3) {
          if (buffer.length < 5 + buffer[4]! + 2) return;
          host = buffer.subarray(5, 5 + buffer[4]!).toString();
          offset = 5 + buffer[4]!;
        } else {
          client.end(Buffer.from([5, 8, 0, 1, 0, 0, 0, 0, 0, 0]));
          return;
        }
        const port = buffer.readUInt16BE(offset);
        const rest = buffer.subarray(offset + 2);
        stage = 'open';
        client.off('data', onData);
        if (buffer[1] !== 1 || !LOOPBACK.has(host)) {
          client.end(Buffer.from([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]));
          return;
        }
        tunnels.push(`${host}:${port}`);
        const upstream = connect(port, host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          if (rest.length > 0) upstream.write(rest);
          pipeCounted(client, upstream, (n) => {
            bytes += n;
          });
        });
        sockets.add(upstream);
        upstream.on('error', () => client.destroy());
      }
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  });
  const port = await listen(server);
  return {
    url: `socks5://127.0.0.1:${port}`,
    tunnels,
    credentials,
    bytes: () => bytes,
    close: closer(server, sockets),
  };
}
