/**
 * A real HTTP server on 127.0.0.1 for streamed-media tests: fixed routes, and `/big/<bytes>`, which
 * encrypts pseudo-random media of that size on the fly (never held whole) and records its SHA-256.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeEncodingAESKey } from '@maven/wecom-crypto';

export type Route = (req: IncomingMessage, res: ServerResponse) => void;

export interface MediaServer {
  url: string;
  routes: Map<string, Route>;
  /** SHA-256 (hex) of the plaintext of each `/big/<bytes>` response, once fully sent. */
  sent: string[];
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;

function serveBig(res: ServerResponse, total: number, encodingAESKey: string, sent: string[]): void {
  const key = decodeEncodingAESKey(encodingAESKey);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const pad = 32 - (total % 32);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total + pad });
  const hash = createHash('sha256');
  let produced = 0;
  let counter = 0;
  const write = () => {
    while (produced < total) {
      const n = Math.min(CHUNK, total - produced);
      const words = new Uint32Array(Math.ceil(n / 4));
      for (let i = 0; i < words.length; i++) words[i] = counter++;
      const plain = Buffer.from(words.buffer, 0, n);
      hash.update(plain);
      produced += n;
      const data = produced < total ? plain : Buffer.concat([plain, Buffer.alloc(pad, pad)]);
      if (!res.write(cipher.update(data))) {
        res.once('drain', write);
        return;
      }
    }
    sent.push(hash.digest('hex'));
    res.end();
  };
  write();
}

export async function startMediaServer(encodingAESKey: string): Promise<MediaServer> {
  const routes = new Map<string, Route>();
  const sent: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const big = /^\/big\/(\d+)$/.exec(path);
    if (big) return serveBig(res, Number(big[1]), encodingAESKey, sent);
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    route(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routes,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
