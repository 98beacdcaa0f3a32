// Streaming a model's answer: WeCom polls the stream and shows the text as it grows.
import { WeComBot } from '@maven/wecom-bot';

declare function generate(prompt: string): AsyncIterable<string>; // your model
declare const chartPng: Uint8Array;

const bot = new WeComBot({
  token: process.env.WECOM_BOT_TOKEN!,
  encodingAESKey: process.env.WECOM_BOT_AES_KEY!,
  path: '/wecom/bot',
  truncationMarker: '\n…(truncated)', // kept within WeCom's 20480 bytes when a stream is cut
});

bot.on('text', async (message, ctx) => {
  // Call stream() before anything slow: its first frame goes back in this callback's response,
  // and from then on WeCom sends refresh callbacks that the bot answers from the stream's state.
  const stream = ctx.stream({ feedbackId: `fb-${message.msgId}` });
  ctx.waitUntil(
    (async () => {
      try {
        for await (const chunk of generate(message.text)) await stream.append(chunk);
        if (message.text.includes('chart')) await stream.addImage(chartPng); // PNG/JPEG, shown with the last frame
      } finally {
        const result = await stream.finish(); // never rejects: the outcome is in the result
        if (!result.ok) console.warn('stream not delivered:', result.reason);
      }
    })(),
  );
});
