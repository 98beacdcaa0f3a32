/** Fastify adapter: conversion only; every policy lives in @maven/wecom-core's Node port. */
import { healthResponse, serveNode, type WeComHandler } from '@maven/wecom-core';
import type { FastifyPluginCallback, RouteHandlerMethod } from 'fastify';

/**
 * A plugin for a `WeComBot` or a `CallbackRouter`: an `onRequest` hook, which runs before Fastify
 * parses a body, so the raw stream is still unread. The handler's requests are served by the Node
 * port and hijacked; other paths go on to Fastify's router. No content-type parser is touched.
 */
export function wecomFastify(handler: WeComHandler): FastifyPluginCallback {
  const plugin: FastifyPluginCallback = (app, _options, done) => {
    app.addHook('onRequest', (request, reply, next) => {
      let foreign = false;
      const passOn = () => {
        foreign = true;
      };
      const url = request.raw.url ?? '/';
      void serveNode(handler, request.raw, reply.raw, { url, framework: 'fastify', next: passOn }).then(() =>
        foreign ? next() : reply.hijack(),
      );
    });
    done();
  };
  // Fastify's documented opt-out of encapsulation (what fastify-plugin sets): the hook belongs to
  // the registering context, so it sees that context's routes and its 404.
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true });
}

/** A route handler answering `{"status":"ok"}` (plus `extra`), e.g. `app.get('/health', wecomHealth())`. */
export function wecomHealth(extra: Record<string, unknown> = {}): RouteHandlerMethod {
  return (_request, reply) => {
    const out = healthResponse(extra);
    return reply.code(out.status).headers(out.headers).send(out.body);
  };
}
