/** What the simulated long-connection server records, and the faults it can be told to play. */

export interface WsBotOptions {
  botId: string;
  /** The long-connection Secret. */
  secret: string;
}

/** Every frame a client sent, with the simulator's answer. */
export interface WsFrameRecord {
  /** Arrival order, from 1. */
  seq: number;
  /** The bot the socket subscribed as (undefined before a subscribe succeeded). */
  botId: string | undefined;
  /** The socket, numbered from 1 in accept order. */
  connection: number;
  cmd: string | undefined;
  reqId: string;
  body: Record<string, unknown>;
  at: number;
  /** Set once answered (an ack may be delayed by a fault, or never sent). */
  answer?: { errcode: number; errmsg: string; body?: Record<string, unknown> };
}

export interface WsSubscribeRecord {
  botId: string;
  connection: number;
  errcode: number;
  at: number;
}

export interface WsPushRecord {
  botId: string;
  cmd: string;
  reqId: string;
  body: Record<string, unknown>;
  /** False when no subscribed connection existed (WeCom drops such callbacks, it does not replay them). */
  delivered: boolean;
  connection: number | undefined;
  at: number;
}

export interface WsSentMessage {
  botId: string;
  chatid: string;
  /** 1 single, 2 group, undefined: not given. */
  chatType: number | undefined;
  msgtype: string;
  body: Record<string, unknown>;
  at: number;
}

export type WsFaultSpec =
  /** Pings go unanswered until `clearFaults()` (other frames are answered). */
  | { kind: 'ignore_pings'; botId?: string }
  /** Nothing is answered and no callback is pushed, yet the socket stays open: a half-alive connection. */
  | { kind: 'silence'; botId?: string }
  /** Every answer is sent `ms` late until `clearFaults()` (optionally only for one cmd). */
  | { kind: 'delay_acks'; ms: number; cmd?: string; botId?: string }
  /** The next `count` (default 1) subscribes are refused with `errcode` (default 45009). */
  | { kind: 'refuse_subscribe'; errcode?: number; count?: number; botId?: string }
  /** The next `count` (default 1) frames of chunk `chunkIndex` (default: any) answer `errcode` (default -1). */
  | { kind: 'fail_chunk'; chunkIndex?: number; errcode?: number; count?: number };

export interface WsWaitOptions {
  /** Default 5000. */
  timeoutMs?: number;
}
