// One bot and one callback router mounted in Express, Koa and Hono; the same handlers everywhere.
import { serve } from '@hono/node-server';
import { WeComBot } from '@maven/wecom-bot';
import { CallbackRouter } from '@maven/wecom-callback';
import { wecomHealth as expressHealth, wecomExpress as expressWeCom } from '@maven/wecom-express';
import { wecomHealth as honoHealth, wecomHono } from '@maven/wecom-hono';
import { wecomKoa as koaWeCom } from '@maven/wecom-koa';
import express from 'express';
import { Hono } from 'hono';
import Koa from 'koa';

const bot = new WeComBot({
  token: process.env.WECOM_BOT_TOKEN!,
  encodingAESKey: process.env.WECOM_BOT_AES_KEY!,
  path: '/wecom/bot',
});
const router = new CallbackRouter({
  app: {
    corpId: process.env.WECOM_CORP_ID!,
    agentId: process.env.WECOM_AGENT_ID!,
    token: process.env.WECOM_TOKEN!,
    encodingAESKey: process.env.WECOM_ENCODING_AES_KEY!,
  },
  path: '/wecom/callback',
});

// Express 5: before any body parser (the signature is over the raw body).
const app = express();
app.use(expressWeCom(bot), expressWeCom(router));
app.get('/health', expressHealth());
app.use(express.json());
app.listen(3000);

// Koa 3: the middleware reads the raw body itself; other paths go to next().
const koa = new Koa();
koa.use(koaWeCom(bot));
koa.use(koaWeCom(router));
koa.listen(3001);

// Hono (Node here; the same app runs on Bun, Deno and Workers).
const hono = new Hono();
hono.use(wecomHono(bot));
hono.use(wecomHono(router));
hono.get('/health', honoHealth());
serve({ fetch: hono.fetch, port: 3002 });
