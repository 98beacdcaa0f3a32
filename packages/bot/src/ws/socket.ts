/**
 * The WebSocket the transport needs: the Web-standard API (global in Node 22+, Bun, Deno and
 * workerd's outbound WebSocket), or a constructor passed in, e.g. `WebSocket` of the `ws` package on
 * Node 20. Only `send`, `close`, `readyState`, `binaryType` and `addEventListener` are used.
 */
import { WeComConfigError } from '@maven/wecom-core';

export interface WebSocketLike {
  readonly readyState: number;
  binaryType?: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: (event: unknown) => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` OPEN in the Web API. */
export const OPEN = 1;

export function resolveWebSocket(injected: WebSocketConstructor | undefined): WebSocketConstructor {
  if (injected !== undefined) {
    if (typeof injected !== 'function') throw new WeComConfigError('WebSocket must be a constructor');
    return injected;
  }
  const global = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof global === 'function') return global as WebSocketConstructor;
  throw new WeComConfigError(
    'this runtime has no global WebSocket: pass one, e.g. { WebSocket } from the "ws" package on Node 20',
  );
}
