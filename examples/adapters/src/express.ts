/**
 * Express 5: `node --import tsx examples/adapters/src/express.ts`
 * The WeCom middleware goes before any body parser: it needs the raw body to check the signature.
 */
import { wecomExpress, wecomHealth } from '@maven/wecom-express';
import express from 'express';
import { createHandlers } from './handlers.js';
import { announce } from './serve-node.js';

const handlers = createHandlers(process.env);
const app = express();
if (handlers.bot) app.use(wecomExpress(handlers.bot));
if (handlers.router) app.use(wecomExpress(handlers.router));
app.get('/health', wecomHealth());
app.use(express.json()); // your own routes' parser, after the WeCom middleware

const server = app.listen(handlers.port, handlers.host, () => announce(server, handlers, 'express'));
