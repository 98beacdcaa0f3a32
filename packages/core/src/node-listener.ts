/**
 * node:http glue shared by `toNodeListener` and the Express/Koa adapters. Only types come from
 * node:http; nothing here imports a Node module at run time.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WeComRequestError } from './errors.js';
import {
  errorResponse,
  parseRequestUrl,
  type ReceiveContext,
  textResponse,
  type WeComHandler,
  type WeComResponse,
} from './handler.js';
import { utf8Length } from './text.js';

/** Default time a request body may take to arrive in full. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

export interface NodeBodyOptions {
  maxBytes: number;
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

const ALREADY_PARSED =
  'a body parser consumed the request body; mount the WeCom middleware before body parsers (e.g. express.json()), or keep the raw body in req.rawBody';

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
  // `readableEnded`, not `complete`: Node sets `complete` as soon as the whole message has arrived
  // on the socket, even when nobody has read it yet (and Express' parsers set `req.body = {}`
  // for content types they skip), so `complete` would refuse a body that is still there to read.
  if (req.readableEnded) {
    if (!hasBody(req)) return '';
    throw new WeComRequestError('body_already_parsed', ALREADY_PARSED);
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

export interface ServeNodeOptions {
  /** The URL WeCom called (default `req.originalUrl ?? req.url`). */
  url?: string;
  context?: ReceiveContext;
  /** Time a request body may take to arrive in full; then 408. Default 10 s. */
  bodyTimeoutMs?: number;
}

/**
 * Runs one Node request through a handler: read the raw body, receive, write. Never rejects.
 * The old positional form `serveNode(handler, req, res, url, context)` still works.
 */
export async function serveNode(
  handler: WeComHandler,
  req: MaybeParsedRequest,
  res: ServerResponse,
  urlOrOptions?: string | ServeNodeOptions,
  context?: ReceiveContext,
): Promise<void> {
  const options: ServeNodeOptions =
    typeof urlOrOptions === 'string' ? { url: urlOrOptions } : { ...(urlOrOptions ?? {}) };
  const url = options.url ?? req.originalUrl ?? req.url ?? '/';
  const ctx = options.context ?? context ?? {};
  const method = req.method ?? 'GET';
  let out: WeComResponse;
  try {
    // Requests the handler refuses without a body (another path, another method) are answered
    // without reading one.
    let pathname: string | undefined;
    try {
      pathname = parseRequestUrl(url).pathname;
    } catch {
      pathname = undefined;
    }
    const upper = method.toUpperCase();
    const bodyless =
      pathname === undefined || !handler.matches(pathname) || (upper !== 'GET' && upper !== 'POST');
    const body = bodyless
      ? ''
      : await readNodeBody(req, {
          maxBytes: handler.maxBodyBytes,
          ...(options.bodyTimeoutMs === undefined ? {} : { timeoutMs: options.bodyTimeoutMs }),
        });
    out = await handler.receive({ method, url, headers: req.headers, body }, ctx);
  } catch (error) {
    out = errorResponse(error);
  }
  try {
    writeNodeResponse(res, out);
  } catch {
    res.destroy();
  }
}

export interface NodeListenerOptions {
  /** Called for paths that are not the handler's (composition with other listeners); default 404. */
  next?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Time a request body may take to arrive in full; then 408 and the connection is closed. Default 10 s. */
  bodyTimeoutMs?: number;
}

/**
 * A `node:http` request listener. Requests whose path is not the handler's get 404, or go to
 * `next` when given (for composition with other listeners).
 */
export function toNodeListener(
  handler: WeComHandler,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const serveOptions: ServeNodeOptions =
    options.bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs: options.bodyTimeoutMs };
  return (req, res) => {
    const pathname = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (!handler.matches(pathname) && options.next) {
      options.next(req, res);
      return;
    }
    void serveNode(handler, req, res, serveOptions);
  };
}
