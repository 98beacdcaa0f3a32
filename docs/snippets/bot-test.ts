// bot.test.ts — the whole round trip on one machine, no corp account: vitest + @maven/wecom-testing
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WeComBot } from '@maven/wecom-bot';
import { toNodeListener } from '@maven/wecom-core';
import { startWeComSimulator } from '@maven/wecom-testing';
import { expect, it } from 'vitest';

it('answers a text through the message’s response_url', async () => {
  const keys = { token: 'test-token', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };
  const bot = new WeComBot({ ...keys, path: '/wecom/bot', deadlineMs: 100 });
  bot.on('text', async (message, ctx) => {
    await new Promise((resolve) => setTimeout(resolve, 200)); // a slow model: past the deadline
    await ctx.reply(`echo: ${message.text}`);
  });
  const server = createServer(toNodeListener(bot)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/bot`;

  const sim = await startWeComSimulator(); // plays WeCom: signs, encrypts, serves response_url
  const wecom = sim.bot(keys);
  expect((await wecom.verify(url)).ok).toBe(true); // the console's URL check

  const sent = await wecom.send(url, 'hello');
  const posted = await sim.waitForResponse(sent.responseUrl!);
  expect(posted.body).toEqual({ msgtype: 'markdown', markdown: { content: 'echo: hello' } });

  await bot.close();
  server.close();
  await sim.close();
});
