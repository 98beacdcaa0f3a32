/** The fetch port: `Request` in, `Response` out, for Bun, Deno, Workers, Hono and route handlers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WeComRequestError } from './errors.js';
import { drainReader, drainUnread } from './fetch-drain.js';
import {
  NOT_HANDLED,
  type ReceiveContext,
  textResponse,
  type WeComHandler,
  type WeComResponse,
} from './handler.js';
import { DEFAULT_DRAIN, type DrainOptions, lingerAfter, readNodeBody } from './node-listener.js';

export interface HandleFetchOptions {
  context?: ReceiveContext;
  /** After a refusal, how much of the unread body is read and dropped before it is cancelled. */
  drain?: DrainOptions;
  /**
   * The Node request and response the `Request` stands for, if the runtime gives them
   * (@hono/node-server's `env.incoming` and `env.outgoing`). While nobody has begun reading the
   * request, it is served as `serveNode` serves one: headers and body taken from it directly (the
   * same cap and time limit, no Web `Headers` or stream built), a 413 or 408 answered before the
   * rest of the body is dropped, and an unread body left to Node to discard.
   */
  incoming?: unknown;
  outgoing?: unknown;
}

export interface HandleFetchNext<R> extends HandleFetchOptions {
  /** Called for a path that is not the handler's (the request is then not read); its result is returned. */
  next: () => R;
}

/**
 * Runs one fetch `Request` through a handler: the body is read (with the cap) only once the
 * handler has taken the request, inside its concurrency slot. Never rejects.
 */
export function handleFetch(
  handler: WeComHandler,
  request: Request,
  options?: HandleFetchOptions,
): Promise<Response>;
export function handleFetch<R>(
  handler: WeComHandler,
  request: Request,
  options: HandleFetchNext<R>,
): Promise<Response | Awaited<R>>;
export async function handleFetch(
  handler: WeComHandler,
  request: Request,
  options: HandleFetchOptions & { next?: () => unknown } = {},
): Promise<unknown> {
  const incoming = unreadNodeRequest(options.incoming, options.outgoing);
  const out = await handler.receive(
    {
      method: request.method,
      url: request.url,
      headers: incoming ? incoming.headers : request.headers,
      body: incoming
        ? (limits) => readNodeBody(incoming, limits)
        : ({ maxBytes, timeoutMs }) => readBodyLimited(request, maxBytes, timeoutMs, options.drain),
    },
    options.context,
  );
  if (out === NOT_HANDLED && options.next) return options.next();
  if (incoming) {
    // As serveNode: an answer that closes the connection lingers while the rest is dropped.
    if (out.headers.connection === 'close') {
      lingerAfter(incoming, options.outgoing as ServerResponse, { ...DEFAULT_DRAIN, ...options.drain });
    }
  } else if (out.status < 500) {
    // A body we did not read is read and dropped, to a bound, before a 4xx (404, 405, 413): see
    // fetch-drain.ts. A 503 sheds load: answered at once, the body left to the server to drop.
    await drainUnread(request, options.drain);
  }
  return toFetchResponse(out);
}

/** `req` if it is a Node request nobody has begun to read and `res` its response, not yet written. */
function unreadNodeRequest(req: unknown, res: unknown): IncomingMessage | undefined {
  const r = req as Partial<IncomingMessage> | null | undefined;
  const w = res as Partial<ServerResponse> | null | undefined;
  if (!r || typeof r.on !== 'function' || typeof r.headers !== 'object') return undefined;
  if (!w || typeof w.once !== 'function' || w.headersSent !== false) return undefined;
  return r.readableFlowing === null && r.readableEnded === false ? (r as IncomingMessage) : undefined;
}

/** What Workers, Bun, Deno and Next.js pass after the request: we only look for `waitUntil`. */
type FetchExtra = { waitUntil?: (promise: Promise<unknown>) => void } | undefined | null | unknown;

/**
 * Finds `waitUntil` on the extra arguments (`env`, `ctx`, `info`, `server`…). Only `in` and one
 * read of `waitUntil` itself: no other property (such as Hono's throwing `executionCtx` getter) is
 * touched, and an object whose `has` trap or getter throws is skipped.
 */
function contextOf(args: unknown[]): ReceiveContext {
  for (const arg of args) {
    if (!arg || (typeof arg !== 'object' && typeof arg !== 'function')) continue;
    let fn: unknown;
    try {
      if (!('waitUntil' in arg)) continue;
      fn = (arg as { waitUntil?: unknown }).waitUntil;
    } catch {
      continue;
    }
    if (typeof fn === 'function')
      return { waitUntil: (p) => (fn as (p: Promise<unknown>) => void).call(arg, p) };
  }
  return {};
}

/**
 * A `(request, ...) => Response` function for Bun.serve, Deno.serve, Cloudflare Workers
 * (`fetch(request, env, ctx)`: `ctx.waitUntil` keeps active replies alive) and route handlers.
 * A path that is not the handler's answers 404.
 */
export function toFetchHandler(
  handler: WeComHandler,
): (request: Request, ...extra: FetchExtra[]) => Promise<Response> {
  return (request, ...extra) => handleFetch(handler, request, { context: contextOf(extra) });
}

/** A fetch `Response` for a `WeComResponse`; one `Response` would refuse becomes a bare 500. */
export function toFetchResponse(out: WeComResponse): Response {
  try {
    const nullBody = out.status === 204 || out.status === 205 || out.status === 304;
    return new Response(nullBody ? null : out.body, { status: out.status, headers: { ...out.headers } });
  } catch {
    const fallback = textResponse(500, 'internal_error');
    return new Response(fallback.body, { status: fallback.status, headers: fallback.headers });
  }
}

/**
 * Reads a fetch body with a cap and a time limit: refuses a declared Content-Length over the cap
 * without keeping a byte, and stops keeping bytes as soon as the running count passes it. A body
 * over the cap is read and dropped (never buffered) up to `drain`'s bytes and time (default 8 MiB,
 * 5 s) before the 413, so the client, which is still sending, reads its answer instead of a reset
 * (see fetch-drain.ts); a body that has not arrived in time is refused (408) at once and drained
 * behind the answer.
 */
export async function readBodyLimited(
  request: Request,
  maxBytes: number,
  timeoutMs = Number.POSITIVE_INFINITY,
  drain?: DrainOptions,
): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? 'NaN');
  if (Number.isFinite(declared) && declared > maxBytes) {
    // What the client sends anyway is dropped (to the drain's bounds) before the 413 goes out.
    await drainUnread(request, drain);
    throw new WeComRequestError('body_too_large', 'body too large');
  }
  if (!request.body) return new Uint8Array(0);
  if (request.bodyUsed || request.body.locked) {
    throw new WeComRequestError(
      'body_already_parsed',
      'the request body was already read; pass the untouched Request (or its clone) to handle()',
    );
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  // A body that has not fully arrived in time is refused (408), as on the Node port: the pending
  // read is raced, not cancelled, and becomes the first read of the drain.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await readAll();
  } finally {
    clearTimeout(timer);
  }

  async function readAll(): Promise<Uint8Array> {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array> | 'timeout';
      const read = reader.read();
      try {
        step = await Promise.race([read, timedOut]);
      } catch (cause) {
        throw new WeComRequestError('bad_request', 'request body stream failed', { cause });
      }
      if (step === 'timeout') {
        void drainReader(reader, drain, read);
        throw new WeComRequestError('request_timeout', 'request body timed out');
      }
      if (step.done) break;
      const value = step.value;
      total += value.byteLength;
      if (total > maxBytes) {
        await drainReader(reader, drain);
        throw new WeComRequestError('body_too_large', 'body too large');
      }
      chunks.push(value);
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.byteLength;
    }
    return out;
  }
}
