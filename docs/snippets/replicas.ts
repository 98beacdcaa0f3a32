// Several replicas behind a load balancer: dedup, streams, response_url claims and access tokens in Redis.
import { WeComBot } from '@maven/wecom-bot';
import { CallbackRouter } from '@maven/wecom-callback';
import { createRedisStore } from '@maven/wecom-redis';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
redis.on('error', (error) => console.warn('redis:', error.message));
const store = createRedisStore({ client: redis, prefix: 'prod:', commandTimeoutMs: 1000 });

// The same store on every replica (and for every bot and app: keys are scoped per bot and per app).
const bot = new WeComBot({
  token: process.env.WECOM_BOT_TOKEN!,
  encodingAESKey: process.env.WECOM_BOT_AES_KEY!,
  aibotId: process.env.WECOM_AIBOT_ID!, // same scope on every replica, and foreign bots refused
  path: '/wecom/bot',
  store,
});
const router = new CallbackRouter({
  app: {
    corpId: process.env.WECOM_CORP_ID!,
    corpSecret: process.env.WECOM_CORP_SECRET!,
    agentId: process.env.WECOM_AGENT_ID!,
    token: process.env.WECOM_TOKEN!,
    encodingAESKey: process.env.WECOM_ENCODING_AES_KEY!,
  },
  store, // one gettoken per app for the whole fleet
});

process.once('SIGTERM', async () => {
  await Promise.all([bot.close(), router.close()]); // drain first…
  await store.close(); // …then stop the store (it does not quit a client it does not own)
  redis.disconnect();
});
