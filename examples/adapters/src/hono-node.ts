/** Hono on Node (@hono/node-server): `node --import tsx examples/adapters/src/hono-node.ts` */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { wecomHealth, wecomHono } from '@maven/wecom-hono';
import { Hono } from 'hono';
import { createHandlers } from './handlers.js';
import { announce } from './serve-node.js';

const handlers = createHandlers(process.env);
const app = new Hono();
// Each handler matches its own path and lets every other request through.
if (handlers.bot) app.use(wecomHono(handlers.bot));
if (handlers.router) app.use(wecomHono(handlers.router));
app.get('/health', wecomHealth());

const server = serve({ fetch: app.fetch, port: handlers.port, hostname: handlers.host }, () =>
  announce(server as Server, handlers, 'hono-node'),
);
