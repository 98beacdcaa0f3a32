// bot.ts — an AI bot (智能机器人) in API mode on node:http
import { createServer } from 'node:http';
import { WeComBot } from '@maven/wecom-bot';
import { healthResponse, toNodeListener, writeNodeResponse } from '@maven/wecom-core';

const bot = new WeComBot({
  token: process.env.WECOM_BOT_TOKEN!, // the bot's API-mode settings page
  encodingAESKey: process.env.WECOM_BOT_AES_KEY!, // exactly 43 characters
  path: '/wecom/bot',
});

bot.on('text', async (message, ctx) => {
  // Within the deadline (4 s) this goes back in the HTTP response; later, to the message's response_url.
  await ctx.reply(`echo: ${message.text}`);
});

bot.on('image', async (_message, ctx) => {
  const image = await ctx.downloadMedia(); // downloaded, AES-decrypted, MIME type sniffed
  await ctx.reply(`image: ${image.mime} ${image.bytes.byteLength}`);
});

bot.on('event.enter_chat', (_event, ctx) => ctx.welcome('Hello! Send me a message.'));
bot.on('reply.failed', (result) => console.warn('reply failed:', result.reason, result.error.code));

const server = createServer(
  toNodeListener(bot, {
    // Everything that is not /wecom/bot: a health check for the load balancer, else 404.
    next: (req, res) =>
      req.url === '/health'
        ? writeNodeResponse(res, healthResponse())
        : writeNodeResponse(res, { status: 404, headers: {}, body: 'not found' }),
  }),
);
server.listen(9886, '127.0.0.1', () => console.log('listening on http://127.0.0.1:9886/wecom/bot'));

process.once('SIGTERM', async () => {
  await bot.close({ timeoutMs: 10_000 }); // refuse new callbacks, drain replies on their way
  server.close();
});
