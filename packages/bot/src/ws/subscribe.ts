/** What to do after WeCom refused a subscribe: stop for good, or try again after a delay. */
import { backoffDelay, type ResolvedWsOptions } from './connection-options.js';
import { WeComWsError } from './errors.js';
import { WS_ERRCODE, type WsAck } from './frames.js';

export type SubscribeVerdict = { stop: WeComWsError } | { delayMs: number };

/** `failures`: subscribe failures in a row, this one included. */
export function subscribeVerdict(ack: WsAck, failures: number, o: ResolvedWsOptions): SubscribeVerdict {
  if (ack.errcode === WS_ERRCODE.subscribeRefused) {
    // A wrong secret does not heal by retrying, and each retry counts against the frequency limit.
    const message = `WeCom refused the subscribe of bot ${o.botId} (errcode ${ack.errcode}): check the long-connection secret`;
    return { stop: new WeComWsError('subscribe_refused', message, { ack }) };
  }
  if (failures > o.maxSubscribeFailures) {
    const message = `subscribe failed ${failures} times in a row (last errcode ${ack.errcode})`;
    return { stop: new WeComWsError('subscribe_exhausted', message, { ack }) };
  }
  const base = backoffDelay(failures, o.backoff, o.random);
  // 45009 ("api freq out of limit"), seen after restarts: retrying soon only extends the block.
  return { delayMs: ack.errcode === WS_ERRCODE.freqLimit ? Math.max(base, o.rateLimitedDelayMs) : base };
}
