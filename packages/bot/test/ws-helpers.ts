/** Shared by the long-connection tests: the `ws` client constructor (Node 20 has no global one) and polling. */

import { WebSocket } from 'ws';
import type { WebSocketConstructor } from '../src/index.ts';

export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

export const BOT = 'aibot-ws-test';
export const SECRET = 'Ws-Secret-0123456789-abcdefghij';

/** Resolves once `check()` is truthy; rejects after `timeoutMs`. */
export async function until<T>(
  check: () => T | undefined | false,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
