// One bot and one callback router mounted in Express, Koa, Fastify and Hono; the same handlers everywhere.
import { serve } from '@hono/node-server';
import { WeComBot } from '@maven/wecom-bot';
import { CallbackRouter } from '@maven/wecom-callback';
import { wecomHealth as expressHealth, wecomExpress } from '@maven/wecom-express';
import { wecomHealth as fastifyHealth, wecomFastify } from '@maven/wecom-fastify';
import { wecomHealth as honoHealth, wecomHono } from '@maven/wecom-hono';
import { wecomKoa } from '@maven/wecom-koa';
import express from 'express';
import Fastify from 'fastify';
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

// Express 5: best before any body parser (a body already parsed into { encrypt } is accepted too).
const app = express();
app.use(wecomExpress(bot), wecomExpress(router));
app.get('/health', expressHealth());
app.use(express.json());
app.listen(3000);

// Koa 3: the middleware reads the raw body itself; other paths go to next().
const koa = new Koa();
koa.use(wecomKoa(bot));
koa.use(wecomKoa(router));
koa.listen(3001);

// Fastify 5: a plugin whose onRequest hook serves the handler's paths before any body parser runs.
const fastify = Fastify();
await fastify.register(wecomFastify(bot));
await fastify.register(wecomFastify(router));
fastify.get('/health', fastifyHealth());
await fastify.listen({ port: 3003 });

// Hono (Node here; the same app runs on Bun, Deno and Workers).
const hono = new Hono();
hono.use(wecomHono(bot));
hono.use(wecomHono(router));
hono.get('/health', honoHealth());
serve({ fetch: hono.fetch, port: 3002 });
