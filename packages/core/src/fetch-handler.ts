import type { ReceiveContext, WeComHandler } from './handler.js';

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
  return (request, ...extra) => handler.handle(request, contextOf(extra));
}
