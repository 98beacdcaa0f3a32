/**
 * Fastify 5: `node --import tsx examples/adapters/src/fastify.ts`
 * The plugin serves the WeCom paths from an onRequest hook, before Fastify parses any body, so the
 * app's own parsers (JSON here) stay as they are for every other route.
 */
import { wecomFastify, wecomHealth } from '@maven/wecom-fastify';
import Fastify from 'fastify';
import { createHandlers } from './handlers.js';
import { announce } from './serve-node.js';

const handlers = createHandlers(process.env);
const app = Fastify();
if (handlers.bot) await app.register(wecomFastify(handlers.bot));
if (handlers.router) await app.register(wecomFastify(handlers.router));
app.get('/health', wecomHealth());

await app.listen({ port: handlers.port, host: handlers.host });
announce(app.server, handlers, 'fastify');
