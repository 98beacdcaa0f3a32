// app.ts — a self-built app (自建应用) callback on node:http
import { createServer } from 'node:http';
import { allowlistFromEnv, CallbackRouter } from '@maven/wecom-callback';
import { toNodeListener } from '@maven/wecom-core';

const router = new CallbackRouter({
  app: {
    corpId: process.env.WECOM_CORP_ID!, // ww…
    corpSecret: process.env.WECOM_CORP_SECRET!, // the app's Secret: access tokens, message/send
    agentId: process.env.WECOM_AGENT_ID!,
    token: process.env.WECOM_TOKEN!, // 接收消息 → API 接收: Token
    encodingAESKey: process.env.WECOM_ENCODING_AES_KEY!, // … and EncodingAESKey (43 characters)
  },
  path: '/wecom/callback',
  healthPath: '/health',
  // WECOM_CALLBACK_ALLOWED_USERS=zhangsan,lisi or WECOM_CALLBACK_ALLOW_ALL_USERS=true; unset = nobody
  allowFrom: allowlistFromEnv(process.env),
});

router.on('text', async (message, ctx) => {
  // Acknowledge at once, answer through message/send of the app that received the message.
  void router.send(ctx.chatId, `echo: ${message.content}`).catch((error: unknown) => {
    console.warn('message/send failed:', error);
  });
});

// Fetch every app's access token now: a wrong corpSecret shows up at start (and is logged at error).
for (const result of await router.warmUp()) {
  if (!result.ok) console.error(`app ${result.app}: access token refused; check its corpSecret`);
}
createServer(toNodeListener(router)).listen(8645, '::'); // all interfaces, IPv4 and IPv6
