/**
 * The one handler entry through the Node port: the body is read inside the concurrency slot (so
 * `maxConcurrent` bounds slow-body readers), and each request's path is matched once.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BodyReader,
  createWebhookHandler,
  textResponse,
  toNodeListener,
  type WeComHandler,
} from '../src/index.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(handler: WeComHandler, next?: Parameters<typeof toNodeListener>[1]): Promise<number> {
  server = createServer(toNodeListener(handler, next));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A POST whose head and first body bytes are sent; the rest waits for `finish()`. */
function slowPost(port: number, path: string, length: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  const answered = new Promise<string>((resolve) => {
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) resolve(received.split('\r\n', 1)[0]!);
    });
    socket.on('error', () => resolve('error'));
    socket.on('close', () => resolve(received ? received.split('\r\n', 1)[0]! : 'closed'));
  });
  socket.write(
    `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n{`,
  );
  return {
    answered,
    finish: () => socket.write(`${'x'.repeat(length - 2)}}`),
    close: () => socket.destroy(),
  };
}

describe('the Node port reads bodies inside the concurrency slot', () => {
  it('maxConcurrent: 2 with 10 slow bodies: 2 read at once, 8 answered 503 at once, none hung', async () => {
    let reading = 0;
    let mostReading = 0;
    const handler = createWebhookHandler({
      paths: ['/wecom/bot'],
      maxBodyBytes: 4096,
      maxConcurrent: 2,
      async onGet() {
        return textResponse(200, 'get');
      },
      async onPost(request) {
        return textResponse(200, `read ${request.body.length}`);
      },
    });
    // Count the bodies being read through the port: a reader wraps the one the port passes.
    const counting: WeComHandler = {
      maxBodyBytes: handler.maxBodyBytes,
      matches: (p) => handler.matches(p),
      close: (o) => handler.close(o),
      receive: (request, context) => {
        const read = request.body as BodyReader;
        return handler.receive(
          {
            ...request,
            body: async (limits) => {
              reading++;
              mostReading = Math.max(mostReading, reading);
              try {
                return await read(limits);
              } finally {
                reading--;
              }
            },
          },
          context,
        );
      },
    };
    const port = await listen(counting);
    const posts = Array.from({ length: 10 }, () => slowPost(port, '/wecom/bot', 100));
    const early = await Promise.race([
      Promise.all(posts.map((p) => p.answered)).then(() => 'all'),
      // The 8 refused ones answer without their bodies; the 2 in the slots wait for theirs.
      new Promise<string>((resolve) => {
        let refused = 0;
        for (const p of posts)
          void p.answered.then((line) => {
            if (line.includes(' 503 ') && ++refused === 8) resolve('eight');
          });
      }),
    ]);
    expect(early).toBe('eight');
    expect(mostReading).toBe(2);
    for (const p of posts) p.finish();
    const lines = await Promise.all(posts.map((p) => p.answered));
    expect(lines.filter((l) => l.includes(' 503 '))).toHaveLength(8);
    expect(lines.filter((l) => l.includes(' 200 '))).toHaveLength(2);
    expect(mostReading).toBe(2);
    for (const p of posts) p.close();
  });

  it('parses the URL and matches the path once per request, also when it falls through to next', async () => {
    let matched = 0;
    const handler = createWebhookHandler({
      paths: (pathname) => {
        matched++;
        return pathname === '/wecom/bot';
      },
      maxBodyBytes: 4096,
      async onGet() {
        return textResponse(200, 'get');
      },
      async onPost() {
        return textResponse(200, 'post');
      },
    });
    const port = await listen(handler, {
      next: (_req, res) => {
        res.statusCode = 299;
        res.end('next');
      },
    });
    const own = await fetch(`http://127.0.0.1:${port}/wecom/bot?echostr=1`);
    expect(await own.text()).toBe('get');
    expect(matched).toBe(1);
    const other = await fetch(`http://127.0.0.1:${port}/elsewhere`, { method: 'POST', body: 'x' });
    expect(other.status).toBe(299);
    expect(matched).toBe(2);
    const posted = await fetch(`http://127.0.0.1:${port}/wecom/bot`, { method: 'POST', body: 'x' });
    expect(await posted.text()).toBe('post');
    expect(matched).toBe(3);
  });
});

describe('a refusal the client can read', () => {
  it('a 4 MiB POST over the cap gets its 413, not a reset (the rest is drained, then closed)', async () => {
    const { request } = await import('node:http');
    const handler = createWebhookHandler({
      paths: ['/wecom/bot'],
      maxBodyBytes: 64 * 1024,
      async onGet() {
        return textResponse(200, 'get');
      },
      async onPost() {
        return textResponse(200, 'post');
      },
    });
    const port = await listen(handler);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (const declared of [true, false]) {
      const outcome = await new Promise<string>((resolve) => {
        const req = request({
          host: '127.0.0.1',
          port,
          path: '/wecom/bot',
          method: 'POST',
          headers: declared ? { 'content-length': String(64 * chunk.length) } : {},
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve(`${res.statusCode} ${body}`));
        });
        req.on('error', (error) => resolve(`error ${(error as NodeJS.ErrnoException).code}`));
        let sent = 0;
        const pump = (): void => {
          while (sent < 64) {
            sent++;
            if (!req.write(chunk)) {
              req.once('drain', pump);
              return;
            }
          }
          req.end();
        };
        pump();
      });
      expect(outcome).toBe('413 body_too_large');
    }
  });
});
