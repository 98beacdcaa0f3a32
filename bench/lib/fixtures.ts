/** Keys, apps and pre-generated signed requests shared by the benchmarks and the reliability suite. */
import { createHash } from 'node:crypto';
import {
  appText,
  botText,
  buildAppCallback,
  buildBotCallback,
  toAppMessageXml,
} from '../../packages/testing/src/index.ts';

export const BOT_KEYS = {
  token: 'BenchBotToken7Q',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
} as const;

export interface BenchApp {
  name: string;
  corpId: string;
  agentId: number;
  token: string;
  encodingAESKey: string;
  corpSecret: string;
}

/** A deterministic 43-character EncodingAESKey from a seed. */
export function keyFor(seed: string): string {
  return createHash('sha256').update(seed).digest('base64').slice(0, 43);
}

/** `count` apps with distinct corps, agents, tokens and keys (as different departments would have). */
export function benchApps(count: number): BenchApp[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `app-${i}`,
    corpId: `wwbench${String(i).padStart(4, '0')}`,
    agentId: 1_000_002 + i,
    token: `AppToken${i}x${keyFor(`token-${i}`).slice(0, 8)}`,
    encodingAESKey: keyFor(`app-key-${i}`),
    corpSecret: `corpSecret-${i}-${keyFor(`secret-${i}`).slice(0, 20)}`,
  }));
}

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
export function botCallbackPool(count: number, path: string, plaintextBytes = 1024): PooledRequest[] {
  const sample = JSON.stringify(
    botText({ content: '', msgid: 'x'.repeat(32), from: 'user-0000', responseUrl: responseUrlFor(0) }),
  );
  const pad = filler(plaintextBytes - sample.length);
  const out: PooledRequest[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const message = botText({
      content: pad,
      msgid: `bench${String(i).padStart(27, '0')}`,
      from: `user-${String(i % 1000).padStart(4, '0')}`,
      responseUrl: responseUrlFor(i),
    });
    const built = buildBotCallback({ ...BOT_KEYS, receiveId: '', message });
    out[i] = { path: `${path}${built.search}`, body: built.body };
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
): PooledRequest[] {
  const base = { from: 'user-0000', corpId: app.corpId, agentId: app.agentId };
  const sample = toAppMessageXml(appText({ ...base, content: '', msgId: 7_000_000_000_000_000_000n }));
  const pad = filler(plaintextBytes - sample.length);
  const out: PooledRequest[] = new Array(count);
  for (let i = 0; i < count; i++) {
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
    out[i] = { path: `${path}${built.search}`, body: built.body };
  }
  return out;
}
