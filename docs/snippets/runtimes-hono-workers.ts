// Cloudflare Workers with Hono: c.executionCtx.waitUntil keeps late replies alive; no nodejs_compat needed.
import { WeComBot } from '@maven/wecom-bot';
import { wecomHealth, wecomHono } from '@maven/wecom-hono';
import { Hono, type MiddlewareHandler } from 'hono';

type Env = { WECOM_BOT_TOKEN: string; WECOM_BOT_AES_KEY: string };

function createBot(env: Env): WeComBot {
  const bot = new WeComBot({
    token: env.WECOM_BOT_TOKEN,
    encodingAESKey: env.WECOM_BOT_AES_KEY,
    path: '/wecom/bot',
  });
  bot.on('text', async (message, ctx) => {
    const stream = ctx.stream(); // the first frame goes back in the HTTP response
    await stream.append(`echo: ${message.text}`);
    await stream.finish(); // WeCom's next stream refresh gets finish: true
  });
  return bot;
}

let wecom: MiddlewareHandler | undefined; // built once per isolate, from the bindings
const app = new Hono<{ Bindings: Env }>();
app.get('/health', wecomHealth());
app.use('/wecom/*', (c, next) => {
  wecom ??= wecomHono(createBot(c.env));
  return wecom(c, next);
});

export default app;
