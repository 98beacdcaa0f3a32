/**
 * Koa 3: `node --import tsx examples/adapters/src/koa.ts`
 * The WeCom middleware reads the raw body itself; mount it before any body parser.
 */
import { wecomHealth, wecomKoa } from '@maven/wecom-koa';
import Koa from 'koa';
import { createHandlers } from './handlers.js';
import { announce } from './serve-node.js';

const handlers = createHandlers(process.env);
const app = new Koa();
if (handlers.bot) app.use(wecomKoa(handlers.bot));
if (handlers.router) app.use(wecomKoa(handlers.router));
const health = wecomHealth();
const healthRoute: typeof health = (ctx, next) =>
  ctx.method === 'GET' && ctx.path === '/health' ? health(ctx, next) : next();
app.use(healthRoute);

const server = app.listen(handlers.port, handlers.host, () => announce(server, handlers, 'koa'));
