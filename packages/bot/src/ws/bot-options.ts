/**
 * `WeComBot`'s `connection` option: which transport brings the callbacks. `'webhook'` (default):
 * WeCom POSTs them to the bot's handler. `'websocket'`: the bot opens WeCom's long connection and
 * receives them as frames (no public URL); through `WsLeader` when the Store is shared.
 */
import { checkKeys, checkObject, optionalNumber, WeComConfigError } from '@maven/wecom-core';
import { CONNECTION_KEYS, type WsConnectionOptions } from './connection-options.js';

/** The connection settings of the long connection (the same as `WsConnection`'s, logger aside). */
export type BotWsConnectionOptions = Omit<WsConnectionOptions, 'logger'> & {
  mode: 'websocket';
  /**
   * One live connection across replicas through a lease on the bot's Store (`WsLeader`). Default:
   * on when `store` is given (several replicas share it), off with the in-process default store.
   */
  leader?: boolean | { leaseTtlMs?: number; checkEveryMs?: number; owner?: string };
  /** Longest a proactive message waits for its conversation's quota. Default 60 000 ms. */
  sendMaxWaitMs?: number;
};

export type BotConnectionOptions = { mode: 'webhook' } | BotWsConnectionOptions;

export interface ResolvedWsBotConnection {
  connection: WsConnectionOptions;
  leader: false | { leaseTtlMs?: number; checkEveryMs?: number; owner?: string };
  sendMaxWaitMs: number;
}

/** `connection` takes the transport's options (the bot gives it its logger), and the bot's own. */
const WS_KEYS = ['mode', ...CONNECTION_KEYS.filter((key) => key !== 'logger'), 'leader', 'sendMaxWaitMs'];

/** undefined: webhook mode. The connection options themselves are checked by `WsConnection`. */
export function resolveBotConnection(
  value: unknown,
  sharedStore: boolean,
): ResolvedWsBotConnection | undefined {
  if (value === undefined) return undefined;
  const c = checkObject('WeComBot: connection', value) as Omit<Partial<BotWsConnectionOptions>, 'mode'> & {
    mode?: unknown;
  };
  if (c.mode === 'webhook') {
    checkKeys('connection', c, ['mode']);
    return undefined;
  }
  if (c.mode !== 'websocket')
    throw new WeComConfigError('WeComBot: connection.mode must be "webhook" or "websocket"');
  checkKeys('connection', c, WS_KEYS);
  const { mode: _mode, leader, sendMaxWaitMs, ...connection } = c as BotWsConnectionOptions;
  let lease: ResolvedWsBotConnection['leader'];
  if (leader === undefined) lease = sharedStore ? {} : false;
  else if (leader === false) lease = false;
  else if (leader === true) lease = {};
  else {
    const l = checkObject('WeComBot: connection.leader', leader) as Record<string, unknown>;
    checkKeys('connection.leader', l, ['leaseTtlMs', 'checkEveryMs', 'owner']);
    lease = l as ResolvedWsBotConnection['leader'];
  }
  return {
    connection,
    leader: lease,
    sendMaxWaitMs: optionalNumber('WeComBot', 'connection.sendMaxWaitMs', sendMaxWaitMs, 60_000, { min: 0 }),
  };
}
