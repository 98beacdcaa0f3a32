// Gateway style: the inbound goes to a bus, the answer comes back later and is sent by msgid.
import { WeComBot } from '@maven/wecom-bot';

declare const bus: {
  publish(event: { msgId: string; chatId: string; text: string }): void;
  onAnswer(listener: (answer: { msgId: string; text: string }) => void): void;
};

const bot = new WeComBot({
  token: process.env.WECOM_BOT_TOKEN!,
  encodingAESKey: process.env.WECOM_BOT_AES_KEY!,
  path: '/wecom/bot',
  allowFrom: ['zhangsan', 'lisi'], // empty = everyone
});

bot.on('callback', (message) => {
  if ('text' in message) bus.publish({ msgId: message.msgId, chatId: message.chatId, text: message.text });
});

// Each answer uses the response_url of the message it answers (single use), never "the chat's latest".
bus.onAnswer(async ({ msgId, text }) => {
  const result = await bot.reply({ msgId }, text);
  if (!result.ok) console.warn('not delivered:', result.reason);
});
