// Several self-built apps on one endpoint; each reply goes out through the app that received the user.
import { CallbackRouter, type SendTarget } from '@maven/wecom-callback';

const router = new CallbackRouter({
  apps: [
    {
      name: 'dept-a',
      corpId: 'ww_corp_a',
      corpSecret: process.env.DEPT_A_SECRET!,
      agentId: 1000002,
      token: process.env.DEPT_A_TOKEN!,
      encodingAESKey: process.env.DEPT_A_AES_KEY!,
    },
    {
      name: 'dept-b',
      corpId: 'ww_corp_b',
      corpSecret: process.env.DEPT_B_SECRET!,
      agentId: 1000003,
      token: process.env.DEPT_B_TOKEN!,
      encodingAESKey: process.env.DEPT_B_AES_KEY!,
    },
  ],
  path: '/wecom/callback', // also /wecom/callback/dept-a and /wecom/callback/dept-b
  allowFrom: ['zhangsan', 'ww_corp_b:lisi'], // lisi only in corp B
});

router.on('text', (message, ctx) => {
  // ctx.chatId is 'corpId:agentId:userId': it names the app, so the reply cannot take the wrong one.
  console.log(`${ctx.app.name} received "${message.content}" from ${ctx.userId}`);
  void router.send(ctx.chatId, `echo: ${message.content}`);
});

// Later, outside a handler: an exact target, or an app by name. Ambiguous targets throw.
const targets: SendTarget[] = ['ww_corp_a:1000002:zhangsan', { app: 'dept-b', userId: 'lisi' }];
for (const target of targets) console.log(router.resolve(target).chatId);
await router.send({ app: 'dept-b', userId: 'lisi' }, 'your report is ready');
