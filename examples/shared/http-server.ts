/**
 * The Node server options both examples listen with: header and whole-request timeouts against
 * slow clients (slowloris), a short keep-alive, and the interval at which Node checks those timeouts.
 * Node checks them only every `connectionsCheckingInterval` (30 s by default), so a 10 s header
 * timeout took effect after 19.9–29.2 s; checked every second, a configured timeout holds within
 * a second.
 */
import type { ServerOptions } from 'node:http';

export const SERVER_TIMEOUTS = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
});

/** `createServer` options; `headersTimeoutMs` overrides the 10 s (the request timeout stays ≥ it). */
export function serverOptions(overrides: { headersTimeoutMs?: number } = {}): ServerOptions {
  const headersTimeout = overrides.headersTimeoutMs ?? SERVER_TIMEOUTS.headersTimeoutMs;
  return {
    headersTimeout,
    requestTimeout: Math.max(SERVER_TIMEOUTS.requestTimeoutMs, headersTimeout),
    keepAliveTimeout: SERVER_TIMEOUTS.keepAliveTimeoutMs,
    connectionsCheckingInterval: SERVER_TIMEOUTS.checkIntervalMs,
  };
}
