// websocket-bot.ts — WeComBot on the long connection: the same listeners and ctx as the webhook
import { type WebSocketConstructor, WeComBot } from '@maven/wecom-bot';
import type { Store } from '@maven/wecom-core';

export async function startBot(store?: Store, WebSocket?: WebSocketConstructor): Promise<WeComBot> {
  const bot = new WeComBot({
    connection: {
      mode: 'websocket', // default 'webhook'
      botId: process.env.WECOM_BOT_ID!, // the bot's "API 模式 → 长连接" page
      secret: process.env.WECOM_BOT_SECRET!, // never logged, never in an error
      // url: 'wss://openws.work.weixin.qq.com' (the default; private deployments: their own)
      ...(WebSocket ? { WebSocket } : {}), // Node 20: WebSocket from the "ws" package
    },
    ...(store ? { store } : {}), // a RedisStore: one live connection across replicas (leader lease)
  });
  bot.on('text', async (message, ctx) => {
    const stream = ctx.stream(); // snapshot frames under the callback's req_id
    await stream.append(`you said: ${message.text}`);
    await stream.finish();
  });
  bot.on('event.enter_chat', (_event, ctx) => void ctx.welcome('hello!')); // aibot_respond_welcome_msg
  await bot.start(); // subscribes; a wrong secret rejects with WeComWsError 'subscribe_refused'

  const outcome = await bot.send('zhangsan', { msgtype: 'markdown', markdown: { content: 'good morning' } });
  if (outcome.status !== 'sent') console.warn('not sent:', outcome.status);
  return bot; // bot.close() drains replies in flight, then closes the connection
}
