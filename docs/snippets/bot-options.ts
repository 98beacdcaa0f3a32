// Every WeComBot option, with its default. Unknown keys are refused; all checks happen here, at start.
import { WeComBot } from '@maven/wecom-bot';
import { createConsoleLogger, MemoryStore } from '@maven/wecom-core';

const bot = new WeComBot({
  token: process.env.WECOM_BOT_TOKEN!, // required
  encodingAESKey: process.env.WECOM_BOT_AES_KEY!, // required, 43 characters
  // receiveId: '', // the default: '' (the AI bot's) is checked, 400 on mismatch; false skips the check
  // aibotId: 'aib…', // unset; when set: callbacks of other bots refused, Store keys scoped by it
  path: '/wecom/bot', // or a list; undefined = any path
  store: new MemoryStore({ maxEntries: 100_000 }), // like the default (which warns when full); @maven/wecom-redis for replicas
  allowFrom: ['zhangsan'], // sender userids, trimmed, exact; absent = everyone, [] = nobody, '*' = everyone
  dedupTtlMs: 300_000, // how long a msgId is remembered
  deadlineMs: 4000, // time listeners get before the callback is answered (0 to 4999)
  ack: 'empty', // 'empty' (200, empty body) or 'success' (the reference's encrypted "success")
  maxBodyBytes: 64 * 1024, // 413 above it, before any crypto (1 KiB … 16 MiB)
  maxConcurrent: 512, // 503 above it (WeCom retries)
  http: { timeoutMs: 10_000, retry: { attempts: 3, backoff: { baseMs: 100, factor: 4 } } }, // + fetch
  media: { maxBytes: 10 * 1024 * 1024, protocols: ['https:'], timeoutMs: 15_000 }, // + hosts
  streamWindowMs: 6 * 60_000, // WeCom refreshes a stream for 6 minutes
  responseUrlTtlMs: 3_600_000, // a response_url lives 1 hour
  // truncationMarker: '\n…(truncated)', // unset: a cut reply has no marker
  logger: createConsoleLogger({ level: 'warn', name: 'wecom-bot' }), // redacted
  timestampWindow: 300, // seconds of clock skew accepted, or false
  reactiveOnly: true, // only true: this mode has no proactive send
  now: Date.now, // clock, for tests
});
console.log(bot.capabilities); // { reactiveOnly: true, streaming: true, templateCards: true, fileUpload: false }
