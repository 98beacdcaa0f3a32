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

function receiveContext(c: Context): ReceiveContext {
  try {
    // The getter throws when the runtime passed no execution context (e.g. @hono/node-server).
    const ctx = c.executionCtx;
    if (typeof ctx.waitUntil === 'function') return { waitUntil: (promise) => ctx.waitUntil(promise) };
  } catch {
    // No waitUntil: background replies then run on the live process, tracked by the handler.
  }
  return {};
}

/**
 * Middleware or route handler for a `WeComBot` or a `CallbackRouter`. The handler's configured
 * path is matched against the full request path (sub-apps mounted with `app.route()` included);
 * a path that is not the handler's goes on down Hono's chain.
 */
export function wecomHono(handler: WeComHandler): MiddlewareHandler {
  return async (c, next) => handleFetch(handler, c.req.raw, { context: receiveContext(c), next });
}

/** A handler answering `{"status":"ok"}` (plus `extra`), e.g. `app.get('/health', wecomHealth())`. */
export function wecomHealth(extra: Record<string, unknown> = {}): MiddlewareHandler {
  return async () => toFetchResponse(healthResponse(extra));
}
