// Every CallbackRouter option, with its default. Unknown keys are refused; apps are checked at start.
import { CallbackRouter } from '@maven/wecom-callback';
import { createConsoleLogger, MemoryStore } from '@maven/wecom-core';

const router = new CallbackRouter({
  apps: [
    {
      name: 'dept-a', // unique; also the path /wecom/callback/dept-a and the dedup scope
      corpId: 'ww_corp_a', // the receiveId, always checked
      corpSecret: process.env.DEPT_A_SECRET!, // optional: without it, passive replies only
      agentId: 1000002, // number or numeric string
      token: process.env.DEPT_A_TOKEN!,
      encodingAESKey: process.env.DEPT_A_AES_KEY!, // 43 characters
    },
  ], // or `app: { … }` for one app (named 'default')
  path: '/wecom/callback',
  // healthPath: '/health', // unset; when set, GET on it → {"status":"ok"}
  store: new MemoryStore(), // dedup and access tokens; @maven/wecom-redis for replicas
  deadlineMs: 4000, // passive replies within it, active (message/send) after it
  maxBodyBytes: 64 * 1024, // 413 above it, before any crypto (1 KiB … 16 MiB)
  maxConcurrent: 512,
  dedupTtlMs: 300_000,
  // allowFrom: ['zhangsan', 'ww_corp_a:lisi'], // unset = everyone; ['*'] = everyone; [] = nobody
  http: { baseUrl: 'https://qyapi.weixin.qq.com', timeoutMs: 10_000, retry: { attempts: 3 } }, // + fetch
  tokens: { refreshMarginMs: 300_000, lockTtlMs: 10_000, lockWaitMs: 15_000, pollIntervalMs: 50 },
  rateLimitRetry: { attempts: 3, baseMs: 1000, maxMs: 10_000 }, // 45009 / 45033
  logger: createConsoleLogger({ level: 'info', name: 'wecom-callback' }),
  timestampWindow: 300,
  now: Date.now,
});
console.log(router.apps); // names, corp ids and agent ids — never secrets
