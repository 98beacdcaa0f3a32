/**
 * node:http glue shared by `toNodeListener` and the Express/Koa adapters. Only types come from
 * node:http; nothing here imports a Node module at run time.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WeComRequestError } from './errors.js';
import {
  DEFAULT_BODY_TIMEOUT_MS,
  errorResponse,
  NOT_HANDLED,
  type ReceiveContext,
  textResponse,
  type WeComHandler,
  type WeComResponse,
} from './handler.js';
import { bodyParsedAdvice, envelopeOfParsedBody, type Framework } from './parsed-body.js';
import { utf8Length } from './text.js';

export interface NodeBodyOptions {
  maxBytes: number;
  /** Where the SDK is mounted: names the advice when a parser left nothing usable. Default: guessed. */
  framework?: Framework;
  /** Abort a body that has not fully arrived after this long (slow-body defence). Default 10 s. */
  timeoutMs?: number;
}

/**
 * A request a body parser may already have read; `originalUrl` is the full path Express keeps
 * when the middleware is mounted under a prefix.
 */
export type MaybeParsedRequest = IncomingMessage & {
  body?: unknown;
  rawBody?: unknown;
  originalUrl?: string;
};

/**
 * The raw body of a Node request: `rawBody` or a string/Buffer `body` if a parser already ran,
 * else the stream itself (read with a cap and a timeout). A parser that turned the body into an
 * object leaves nothing to verify a signature over: that is a mounting error (500), said clearly.
 * On a cap or timeout failure the stream is left unread (not destroyed) so the error response can
 * still be written; that response carries `connection: close`.
 */
export async function readNodeBody(
  req: MaybeParsedRequest,
  options: NodeBodyOptions,
): Promise<Uint8Array | string> {
  // Read as unknown: body-parser typings augment IncomingMessage with their own field types.
  const { rawBody, body } = req as { rawBody?: unknown; body?: unknown };
  if (typeof rawBody === 'string' || rawBody instanceof Uint8Array) return rawBody;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  const envelope = envelopeOfParsedBody(body);
  if (envelope !== undefined) return envelope;
  // `readableEnded`, not `complete`: Node sets `complete` as soon as the whole message has arrived
  // on the socket, even when nobody has read it yet (and Express' parsers set `req.body = {}`
  // for content types they skip), so `complete` would refuse a body that is still there to read.
  if (req.readableEnded) {
    if (!hasBody(req)) return '';
    // Express keeps `req.app`; the other adapters say where they are.
    const framework = options.framework ?? ('app' in req && 'originalUrl' in req ? 'express' : 'node');
    throw new WeComRequestError('body_already_parsed', bodyParsedAdvice(framework));
  }
  const declared = Number(req.headers['content-length'] ?? 'NaN');
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    throw new WeComRequestError('body_too_large', 'body too large');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let settled = false;
    const timer = setTimeout(() => {
      finish(new WeComRequestError('request_timeout', 'request body timed out'));
    }, timeoutMs);
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) {
        // Stop reading: the response (with `connection: close`) ends the exchange.
        req.pause();
        reject(error);
      } else resolve(concat(chunks, total));
    };
    const onData = (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      total += bytes.byteLength;
      if (total > options.maxBytes) {
        finish(new WeComRequestError('body_too_large', 'body too large'));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => finish();
    const onError = (error: Error) =>
      finish(new WeComRequestError('bad_request', 'request stream failed', { cause: error }));
    const onClose = () => {
      if (!req.readableEnded) finish(new WeComRequestError('bad_request', 'request closed before its end'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Writes a `WeComResponse` on a Node response. A header Node refuses turns the answer into a bare 500. */
export function writeNodeResponse(res: ServerResponse, out: WeComResponse): void {
  if (res.headersSent || res.writableEnded) return;
  try {
    res.statusCode = out.status;
    for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
  } catch {
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    out = textResponse(500, 'internal_error');
    res.statusCode = 500;
    for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
  }
  // A string body goes out in the same write as the head (a byte array would take a second one).
  res.setHeader('content-length', utf8Length(out.body));
  res.end(out.body, 'utf8');
}

export interface DrainOptions {
  /** Most bytes read (and discarded, never buffered) after a 413 or 408. Default 8 MiB. */
  maxBytes?: number;
  /** Longest time spent reading them. Default 5 s. */
  timeoutMs?: number;
}

export interface ServeNodeOptions {
  /** The URL WeCom called (default `req.originalUrl ?? req.url`). */
  url?: string;
  context?: ReceiveContext;
  /** Time a request body may take to arrive in full; then 408. Default: the handler's (10 s). */
  bodyTimeoutMs?: number;
  /** Called for a path that is not the handler's (nothing is read); default: a 404. */
  next?: () => unknown;
  /** After a 413 or 408, how much of the rest of the body is read and dropped before closing. */
  drain?: DrainOptions;
  /** Where the SDK is mounted (adapters set it): names the advice when a parser ate the body. */
  framework?: Framework;
}

export const DEFAULT_DRAIN: Required<DrainOptions> = Object.freeze({
  maxBytes: 8 * 1024 * 1024,
  timeoutMs: 5000,
});

/**
 * The Node port: runs one request through a handler, which reads the raw body only once it has
 * taken the request (its path and method, a free concurrency slot), then writes the answer.
 * Never rejects.
 */
export async function serveNode(
  handler: WeComHandler,
  req: MaybeParsedRequest,
  res: ServerResponse,
  options: ServeNodeOptions = {},
): Promise<void> {
  let out: WeComResponse;
  try {
    out = await handler.receive(
      {
        method: req.method ?? 'GET',
        url: options.url ?? req.originalUrl ?? req.url ?? '/',
        headers: req.headers,
        body: (limits) =>
          readNodeBody(req, {
            maxBytes: limits.maxBytes,
            timeoutMs: options.bodyTimeoutMs ?? limits.timeoutMs,
            ...(options.framework ? { framework: options.framework } : {}),
          }),
      },
      options.context,
    );
  } catch (error) {
    out = errorResponse(error);
  }
  if (out === NOT_HANDLED && options.next) {
    options.next();
    return;
  }
  try {
    if (out.headers.connection === 'close') lingerAfter(req, res, { ...DEFAULT_DRAIN, ...options.drain });
    writeNodeResponse(res, out);
  } catch {
    res.destroy();
  }
}

/**
 * An answer to a request whose body was not read to its end (413, 408) closes the connection. Closing
 * at once would reset it while the client is still sending, and the client would never read the
 * answer; so, as nginx does, the write side is closed after the answer and the rest of the body is
 * read and dropped, up to a number of bytes and a time, before the socket is destroyed.
 */
export function lingerAfter(req: IncomingMessage, res: ServerResponse, drain: Required<DrainOptions>): void {
  const socket = req.socket as (IncomingMessage['socket'] & { destroySoon?: () => void }) | null;
  if (!socket || socket.destroyed || req.readableEnded) return;
  const start = socket.bytesRead;
  let timer: ReturnType<typeof setInterval> | undefined;
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const stop = (): void => {
    clearInterval(timer);
    clearTimeout(deadline);
    socket.destroy();
  };
  // Node ends an answer marked `connection: close` with destroySoon(): end our side only, then drain.
  socket.destroySoon = () => {
    socket.end();
    timer = setInterval(() => {
      if (socket.bytesRead - start > drain.maxBytes) stop();
    }, 20);
    deadline = setTimeout(stop, drain.timeoutMs);
    socket.once('end', stop);
    socket.once('close', stop);
  };
  res.once('finish', () => {
    req.removeAllListeners('data');
    req.resume();
  });
}

export interface NodeListenerOptions {
  /** Called for paths that are not the handler's (composition with other listeners); default 404. */
  next?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Time a request body may take to arrive in full; then 408 and the connection is closed. Default 10 s. */
  bodyTimeoutMs?: number;
  /** After a 413 or 408, how much of the rest of the body is read and dropped before closing. */
  drain?: DrainOptions;
}

/**
 * A `node:http` request listener. Requests whose path is not the handler's get 404, or go to
 * `next` when given (for composition with other listeners).
 */
export function toNodeListener(
  handler: WeComHandler,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const { next, bodyTimeoutMs, drain } = options;
  return (req, res) => {
    void serveNode(handler, req, res, {
      ...(bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs }),
      ...(drain === undefined ? {} : { drain }),
      ...(next === undefined ? {} : { next: () => next(req, res) }),
    });
  };
}
