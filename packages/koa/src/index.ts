/**
 * Koa adapter: converts only. Body reading, the size cap, errors and statuses all live in
 * @maven/wecom-core; this file moves Koa's request in and the answer onto `ctx`.
 */
import {
  errorResponse,
  healthResponse,
  type MaybeParsedRequest,
  readNodeBody,
  type WeComHandler,
  type WeComResponse,
} from '@maven/wecom-core';
import type { Context, Middleware } from 'koa';

function send(ctx: Context, out: WeComResponse): void {
  ctx.status = out.status;
  ctx.set(out.headers); // before the body, so Koa keeps our content-type
  ctx.body = out.body;
}

/**
 * Middleware for a `WeComBot` or a `CallbackRouter`. The handler's configured path is matched
 * against the full request path (`ctx.originalUrl`, unchanged by koa-mount); a path that is not
 * the handler's goes to `next()`.
 */
export function wecomMiddleware(handler: WeComHandler): Middleware {
  return async (ctx, next) => {
    const url = ctx.originalUrl;
    if (!handler.matches(url.split('?', 1)[0] ?? '/')) return next();
    // @koa/bodyparser keeps the raw text on ctx.request; the core looks for it on the Node request.
    const { rawBody } = ctx.request as { rawBody?: unknown };
    if (rawBody !== undefined) Object.assign(ctx.req, { rawBody });
    const req: MaybeParsedRequest = ctx.req;
    let out: WeComResponse;
    try {
      const body = await readNodeBody(req, { maxBytes: handler.maxBodyBytes });
      out = await handler.receive({ method: ctx.method, url, headers: ctx.headers, body });
    } catch (error) {
      out = errorResponse(error);
    }
    send(ctx, out);
  };
}

/** A middleware answering `{"status":"ok"}` (plus `extra`), e.g. `router.get('/health', wecomHealth())`. */
export function wecomHealth(extra: Record<string, unknown> = {}): Middleware {
  return (ctx) => send(ctx, healthResponse(extra));
}
