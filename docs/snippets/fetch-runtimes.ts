// Bun, Deno, Cloudflare Workers: a fetch handler. On Workers, ctx.waitUntil keeps late replies alive.
import { WeComBot } from '@maven/wecom-bot';
import { toFetchHandler } from '@maven/wecom-core';

interface Env {
  WECOM_BOT_TOKEN: string;
  WECOM_BOT_AES_KEY: string;
}

let handler: ReturnType<typeof toFetchHandler> | undefined;

export default {
  fetch(request: Request, env: Env, ctx: { waitUntil(promise: Promise<unknown>): void }) {
    if (!handler) {
      // Built once per isolate, from the bindings (secrets: `wrangler secret put WECOM_BOT_AES_KEY`).
      const bot = new WeComBot({ token: env.WECOM_BOT_TOKEN, encodingAESKey: env.WECOM_BOT_AES_KEY });
      bot.on('text', (message, c) => c.reply(`echo: ${message.text}`));
      handler = toFetchHandler(bot);
    }
    return handler(request, env, ctx);
  },
};
// Bun: Bun.serve({ fetch: toFetchHandler(bot) })   Deno: Deno.serve(toFetchHandler(bot))
