// app.test.ts — a self-built app end to end against the simulated WeCom (gettoken, message/send)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallbackRouter } from '@maven/wecom-callback';
import { toNodeListener } from '@maven/wecom-core';
import { startWeComSimulator } from '@maven/wecom-testing';
import { expect, it } from 'vitest';

it('echoes through message/send with the app’s own token', async () => {
  const app = { name: 'hermes', corpId: 'ww123', corpSecret: 's3cret', agentId: 1000002 };
  const keys = { token: 'cb-token', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };
  const sim = await startWeComSimulator({ apps: [app] });
  const router = new CallbackRouter({ apps: [{ ...app, ...keys }], http: { baseUrl: sim.url } });
  router.on('text', (message, ctx) => {
    void router.send(ctx.chatId, `echo: ${message.content}`);
  });
  const server = createServer(toNodeListener(router)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/callback`;

  const wecom = sim.app({ ...keys, corpId: app.corpId, agentId: app.agentId });
  expect((await wecom.verify(url)).ok).toBe(true);
  await wecom.send(url, 'ping');
  const call = await sim.waitForCall('message/send');
  expect(call.app).toBe('hermes'); // the simulator knows whose access_token it was
  expect(call.body).toMatchObject({ touser: 'zhangsan', agentid: 1000002, text: { content: 'echo: ping' } });

  await router.close();
  server.close();
  await sim.close();
});
