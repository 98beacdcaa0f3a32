/**
 * The keys and apps of the benchmarks, without the request builders of fixtures.ts: the server
 * children need only these, and importing them does not load @maven/wecom-testing.
 */
import { createHash } from 'node:crypto';

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
