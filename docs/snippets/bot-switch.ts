import { WeComBot } from '@maven/wecom-bot';

const bot = new WeComBot({
  token: process.env.WECOM_BOT_TOKEN!,
  encodingAESKey: process.env.WECOM_BOT_AES_KEY!,
  // A local test server without TLS: allow plain-http media URLs (WeCom's own are https).
  media: { protocols: ['https:', 'http:'] },
});

// `callback` sees every dispatched callback; `type` is the discriminant of the union.
bot.on('callback', async (message, ctx) => {
  switch (message.type) {
    case 'text':
      await ctx.reply(`you said: ${message.text}`);
      break;
    case 'image':
    case 'file':
    case 'video': {
      const file = await ctx.downloadMedia();
      await ctx.reply(`${message.type}: ${file.mime}, ${file.bytes.byteLength} bytes`);
      break;
    }
    case 'event.enter_chat':
      await ctx.welcome('Hello!');
      break;
    case 'unknown':
      console.info('a type this version does not know', message.msgtype);
      break;
    default:
      break;
  }
});
