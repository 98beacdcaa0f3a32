// Outbound requests through an HTTP(S) proxy: the SDK takes any fetch (`http.fetch`).
// `npm install undici`: its ProxyAgent is a dispatcher that Node's built-in fetch accepts.
import { WeComBot } from '@maven/wecom-bot';
import { CallbackRouter } from '@maven/wecom-callback';

const { ProxyAgent } = (await import('undici' as string)) as { ProxyAgent: new (uri: string) => object };
const dispatcher = new ProxyAgent(process.env.HTTPS_PROXY!); // e.g. http://proxy.internal:3128
const proxyFetch: typeof fetch = (input, init) => fetch(input, { ...init, dispatcher } as RequestInit);

// AI bot: response_url replies and media downloads go through the proxy.
const bot = new WeComBot({
  token: process.env.WECOM_BOT_TOKEN!,
  encodingAESKey: process.env.WECOM_BOT_AES_KEY!,
  http: { fetch: proxyFetch },
});

// Self-built apps: gettoken, message/send and media go through the proxy.
const router = new CallbackRouter({
  app: {
    corpId: process.env.WECOM_CORP_ID!,
    corpSecret: process.env.WECOM_CORP_SECRET!,
    agentId: process.env.WECOM_AGENT_ID!,
    token: process.env.WECOM_TOKEN!,
    encodingAESKey: process.env.WECOM_ENCODING_AES_KEY!,
  },
  http: { fetch: proxyFetch },
});
console.log(bot.capabilities, router.apps);
