/**
 * Pre-generated signed requests shared by the benchmarks and the reliability suite, and (from
 * keys.ts, re-exported) the keys and apps they are signed with.
 */
import {
  appText,
  botText,
  buildAppCallback,
  buildBotCallback,
  toAppMessageXml,
} from '../../packages/testing/src/index.ts';
import { type BenchApp, BOT_KEYS } from './keys.ts';

export { type BenchApp, BOT_KEYS, benchApps, keyFor } from './keys.ts';

/** One request as autocannon (or any client) sends it. */
export interface PooledRequest {
  path: string;
  body: string;
}

/** Pads a text so the JSON/XML plaintext around it is about `bytes` long. */
function filler(bytes: number): string {
  return 'x'.repeat(Math.max(0, bytes));
}

/**
 * Signed AI-bot text callbacks of about 1 KB of plaintext, each with its own msgid (so each one
 * goes the whole way: verify, decrypt, parse, dedup, dispatch, passive reply).
 */
export function botCallbackPool(
  count: number,
  path: string,
  plaintextBytes = 1024,
  /** The index of the first callback (its msgid): a pool can be built in parts. */
  first = 0,
): PooledRequest[] {
  const sample = JSON.stringify(
    botText({ content: '', msgid: 'x'.repeat(32), from: 'user-0000', responseUrl: responseUrlFor(0) }),
  );
  const pad = filler(plaintextBytes - sample.length);
  const out: PooledRequest[] = new Array(count);
  for (let n = 0; n < count; n++) {
    const i = first + n;
    const message = botText({
      content: pad,
      msgid: `bench${String(i).padStart(27, '0')}`,
      from: `user-${String(i % 1000).padStart(4, '0')}`,
      responseUrl: responseUrlFor(i),
    });
    const built = buildBotCallback({ ...BOT_KEYS, receiveId: '', message });
    out[n] = { path: `${path}${built.search}`, body: built.body };
  }
  return out;
}

function responseUrlFor(i: number): string {
  return `https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=bench${String(i).padStart(20, '0')}`;
}

/** Signed XML app text callbacks of about 1 KB of plaintext, to `app`, each with its own MsgId. */
export function appCallbackPool(
  count: number,
  path: string,
  app: BenchApp,
  plaintextBytes = 1024,
  /** The index of the first callback (its MsgId): a pool can be built in parts. */
  first = 0,
): PooledRequest[] {
  const base = { from: 'user-0000', corpId: app.corpId, agentId: app.agentId };
  const sample = toAppMessageXml(appText({ ...base, content: '', msgId: 7_000_000_000_000_000_000n }));
  const pad = filler(plaintextBytes - sample.length);
  const out: PooledRequest[] = new Array(count);
  for (let n = 0; n < count; n++) {
    const i = first + n;
    const message = appText({
      ...base,
      from: `user-${String(i % 1000).padStart(4, '0')}`,
      content: pad,
      msgId: 7_000_000_000_000_000_000n + BigInt(i),
    });
    const built = buildAppCallback({
      token: app.token,
      encodingAESKey: app.encodingAESKey,
      corpId: app.corpId,
      agentId: app.agentId,
      message,
    });
    out[n] = { path: `${path}${built.search}`, body: built.body };
  }
  return out;
}
