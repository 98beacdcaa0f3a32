/** Express adapter: conversion only; every policy lives in @maven/wecom-core's Node port. */
import { healthResponse, serveNode, type WeComHandler, writeNodeResponse } from '@maven/wecom-core';
import type { RequestHandler } from 'express';

/**
 * Middleware for a `WeComBot` or a `CallbackRouter`: the handler's path is matched against the full
 * path WeCom called (`req.originalUrl`), whatever the mount point; other paths go to `next()`.
 */
export function wecomExpress(handler: WeComHandler): RequestHandler {
  return (req, res, next) =>
    serveNode(handler, req, res, {
      url: req.originalUrl || req.url,
      framework: 'express',
      next: () => next(),
    });
}

/** A route handler answering `{"status":"ok"}` (plus `extra`), e.g. `app.get('/health', wecomHealth())`. */
export function wecomHealth(extra: Record<string, unknown> = {}): RequestHandler {
  return (_req, res) => writeNodeResponse(res, healthResponse(extra));
}
