/**
 * Express adapter: converts only. Body reading, the size cap, errors and statuses all live in
 * @maven/wecom-core; this file decides where a request goes and hands it over.
 */
import { healthResponse, serveNode, type WeComHandler, writeNodeResponse } from '@maven/wecom-core';
import type { RequestHandler } from 'express';

/**
 * Middleware for a `WeComBot` or a `CallbackRouter`. The handler's configured path is matched
 * against the full request path (`req.originalUrl`), the one WeCom calls, whatever the mount
 * point; a path that is not the handler's goes to `next()`.
 */
export function wecomMiddleware(handler: WeComHandler): RequestHandler {
  return (req, res, next) => {
    const url = req.originalUrl || req.url;
    if (!handler.matches(url.split('?', 1)[0] ?? '/')) return next();
    return serveNode(handler, req, res, { url });
  };
}

/** A route handler answering `{"status":"ok"}` (plus `extra`), e.g. `app.get('/health', wecomHealth())`. */
export function wecomHealth(extra: Record<string, unknown> = {}): RequestHandler {
  return (_req, res) => writeNodeResponse(res, healthResponse(extra));
}
