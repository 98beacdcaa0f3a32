/** Koa adapter: conversion only; every policy lives in @maven/wecom-core's Node port. */
import { healthResponse, serveNode, type WeComHandler, type WeComResponse } from '@maven/wecom-core';
import type { Context, Middleware } from 'koa';

function send(ctx: Context, out: WeComResponse): void {
  ctx.status = out.status;
  ctx.set(out.headers); // before the body, so Koa keeps our content-type
  ctx.body = out.body;
}

/**
 * Middleware for a `WeComBot` or a `CallbackRouter`, matched on the full path (`ctx.originalUrl`,
 * unchanged by koa-mount); other paths go to `next()`. @koa/bodyparser's raw text is handed over.
 */
export function wecomKoa(handler: WeComHandler): Middleware {
  return async (ctx, next) => {
    const req = Object.assign(ctx.req, { rawBody: (ctx.request as { rawBody?: unknown }).rawBody });
    let foreign = false;
    const passOn = () => {
      foreign = true;
    };
    await serveNode(handler, req, ctx.res, { url: ctx.originalUrl, framework: 'koa', next: passOn });
    if (foreign) return next();
    ctx.respond = false; // the Node port wrote the answer
  };
}

/** A middleware answering `{"status":"ok"}` (plus `extra`), e.g. `router.get('/health', wecomHealth())`. */
export function wecomHealth(extra: Record<string, unknown> = {}): Middleware {
  return (ctx) => send(ctx, healthResponse(extra));
}
