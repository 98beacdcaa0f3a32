/**
 * node:http glue shared by `toNodeListener` and the Express/Koa adapters. Only types come from
 * node:http; nothing here imports a Node module at run time.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WeComRequestError } from './errors.js';
import { errorResponse, type ReceiveContext, type WeComHandler, type WeComResponse } from './handler.js';

export interface NodeBodyOptions {
  maxBytes: number;
  /** Abort a body that has not fully arrived after this long (slow-body defence). Default 10 s. */
  timeoutMs?: number;
}

/** A request a body parser may already have read. */
export type MaybeParsedRequest = IncomingMessage & { body?: unknown; rawBody?: unknown };

/**
 * The raw body of a Node request: `rawBody` or a string/Buffer `body` if a parser already ran,
 * else the stream itself (read with a cap and a timeout). A parser that turned the body into an
 * object leaves nothing to verify a signature over: that is a mounting error (500), said clearly.
 */
export async function readNodeBody(
  req: MaybeParsedRequest,
  options: NodeBodyOptions,
): Promise<Uint8Array | string> {
  const { rawBody, body } = req;
  if (typeof rawBody === 'string' || rawBody instanceof Uint8Array) return rawBody;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body !== undefined && body !== null && (req.readableEnded || req.complete)) {
    if (typeof body === 'object' && Object.keys(body as object).length === 0 && !hasBody(req)) return '';
    throw new WeComRequestError(
      'body_already_parsed',
      'a body parser consumed the request body; mount the WeCom middleware before body parsers (e.g. express.json()), or keep the raw body in req.rawBody',
    );
  }
  if (req.readableEnded) return '';
  const declared = Number(req.headers['content-length'] ?? 'NaN');
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    req.resume();
    throw new WeComRequestError('body_too_large', 'body too large');
  }
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const timer = setTimeout(() => {
      finish(new WeComRequestError('bad_request', 'request body timed out', { status: 408 }));
      req.destroy();
    }, options.timeoutMs ?? 10_000);
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (error) reject(error);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > options.maxBytes) {
        req.resume(); // discard the rest; the response closes the connection
        finish(new WeComRequestError('body_too_large', 'body too large'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (error: Error) =>
      finish(new WeComRequestError('bad_request', 'request stream failed', { cause: error }));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

export function writeNodeResponse(res: ServerResponse, out: WeComResponse): void {
  if (res.headersSent) return;
  res.statusCode = out.status;
  for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
  res.setHeader('content-length', Buffer.byteLength(out.body));
  res.end(out.body);
}

/** Runs one Node request through a handler: read the raw body, receive, write. */
export async function serveNode(
  handler: WeComHandler,
  req: MaybeParsedRequest,
  res: ServerResponse,
  url: string = req.originalUrl ?? req.url ?? '/',
  context: ReceiveContext = {},
): Promise<void> {
  let out: WeComResponse;
  try {
    const body = await readNodeBody(req, { maxBytes: handler.maxBodyBytes });
    out = await handler.receive({ method: req.method ?? 'GET', url, headers: req.headers, body }, context);
  } catch (error) {
    out = errorResponse(error);
  }
  writeNodeResponse(res, out);
}

declare module 'node:http' {
  interface IncomingMessage {
    /** Set by Express when mounted under a path. */
    originalUrl?: string;
  }
}

/**
 * A `node:http` request listener. Requests whose path is not the handler's get 404, or go to
 * `next` when given (for composition with other listeners).
 */
export function toNodeListener(
  handler: WeComHandler,
  options: { next?: (req: IncomingMessage, res: ServerResponse) => void } = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const pathname = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (!handler.matches(pathname) && options.next) {
      options.next(req, res);
      return;
    }
    void serveNode(handler, req, res);
  };
}
