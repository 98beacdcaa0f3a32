/**
 * Plumbing of the adapter contract: real servers on 127.0.0.1 with ephemeral ports, a probe handler
 * built on the core's `createWebhookHandler`, and small HTTP helpers over the global fetch.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createWebhookHandler,
  type InboundRequest,
  jsonResponse,
  type ReceiveContext,
  type WeComHandler,
} from '@maven/wecom-core';

export interface Running {
  /** `http://127.0.0.1:PORT` */
  base: string;
  close(): Promise<void>;
}

/** Listens on an ephemeral 127.0.0.1 port; `close()` also drops keep-alive connections. */
export async function listen(server: Server): Promise<Running> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function listenTo(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<Running> {
  return listen(createServer(listener));
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** What the probe saw of one request, as the core handed it over. */
export interface ProbeSeen {
  method: string;
  pathname: string;
  query: Record<string, string>;
  body: string;
  contentType: string | null;
  hasWaitUntil: boolean;
}

export interface Probe {
  handler: WeComHandler;
  seen: ProbeSeen[];
}

function describeRequest(req: InboundRequest, context: ReceiveContext): ProbeSeen {
  return {
    method: req.method,
    pathname: req.pathname,
    query: Object.fromEntries(req.query),
    body: req.body,
    contentType: req.headers.get('content-type'),
    hasWaitUntil: typeof context.waitUntil === 'function',
  };
}

/**
 * A handler on the core's `createWebhookHandler` that answers with what it received (JSON): it
 * shows what an adapter passes in (path, query decoded once, raw body, headers) without crypto.
 */
export function createProbe(
  options: { paths?: readonly string[]; maxBodyBytes?: number; name?: string; maxConcurrent?: number } = {},
): Probe {
  const seen: ProbeSeen[] = [];
  const answer = async (req: InboundRequest, context: ReceiveContext) => {
    const entry = describeRequest(req, context);
    seen.push(entry);
    return jsonResponse(200, { probe: options.name ?? 'probe', ...entry });
  };
  const handler = createWebhookHandler({
    ...(options.paths === undefined ? {} : { paths: options.paths }),
    maxBodyBytes: options.maxBodyBytes ?? 4096,
    ...(options.maxConcurrent === undefined ? {} : { maxConcurrent: options.maxConcurrent }),
    onGet: answer,
    onPost: answer,
  });
  return { handler, seen };
}

/** A request body streamed in chunks without Content-Length (chunked transfer encoding). */
export function chunkedBody(
  total: number,
  chunk = 1024,
): { body: ReadableStream<Uint8Array>; duplex: 'half' } {
  let sent = 0;
  return {
    duplex: 'half',
    body: new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= total) {
          controller.close();
          return;
        }
        const n = Math.min(chunk, total - sent);
        sent += n;
        controller.enqueue(new Uint8Array(n).fill(0x78));
      },
    }),
  };
}
