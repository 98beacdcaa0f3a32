/**
 * Hono adapter: converts only, on Web-standard `Request`/`Response` (Node, Bun, Deno, Workers).
 * Body reading, the size cap, errors and statuses all live in @maven/wecom-core.
 */
import {
  handleFetch,
  healthResponse,
  type ReceiveContext,
  toFetchResponse,
  type WeComHandler,
} from '@maven/wecom-core';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * The runtime's `waitUntil`, if any. The getter throws when the runtime passed no execution
 * context; without waitUntil, background replies run on the live process, tracked by the handler.
 */
function receiveContext(c: Context): ReceiveContext {
  try {
    const ctx = c.executionCtx;
    if (typeof ctx.waitUntil === 'function') return { waitUntil: (promise) => ctx.waitUntil(promise) };
  } catch {}
  return {};
}

/**
 * Middleware or route handler for a `WeComBot` or a `CallbackRouter`. The handler's configured
 * path is matched against the full request path (sub-apps mounted with `app.route()` included);
 * a path that is not the handler's goes on down Hono's chain.
 */
export function wecomHono(handler: WeComHandler): MiddlewareHandler {
  return async (c, next) => {
    // @hono/node-server passes the Node request and response as `env`, and no execution context
    // (whose getter would throw, a few µs, on every request); core reads the body from the request and
    // answers a 413 or 408 on the response before it drops the rest of the body.
    const env = (c.env ?? {}) as { incoming?: unknown; outgoing?: { writeHead?: unknown } };
    const context = typeof env.outgoing?.writeHead === 'function' ? {} : receiveContext(c);
    return handleFetch(handler, c.req.raw, { context, incoming: env.incoming, outgoing: env.outgoing, next });
  };
}

/** A handler answering `{"status":"ok"}` (plus `extra`), e.g. `app.get('/health', wecomHealth())`. */
export function wecomHealth(extra: Record<string, unknown> = {}): MiddlewareHandler {
  return async () => toFetchResponse(healthResponse(extra));
}
