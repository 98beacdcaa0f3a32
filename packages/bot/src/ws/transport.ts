/**
 * The shape the inbound pipeline uses, whichever object holds the socket (`WsConnection`, `WsLeader`):
 *
 *   const conn = new WsConnection({ botId, secret, WebSocket?, logger? });   // or new WsLeader({ store, connection })
 *   conn.onCallback((frame) => pipeline(frame));      // { reqId, cmd, body }
 *   await conn.start();
 *   await conn.respond(frame.reqId, { msgtype: 'stream', stream: { id, finish, content } });
 *   await conn.send('aibot_send_msg', { chatid, msgtype: 'markdown', markdown: { content } });
 *   await conn.close({ timeoutMs: 5000 });             // drains frames in flight, then closes
 */
import type { WeComWsError } from './errors.js';
import type { WsAck, WsCallbackFrame } from './frames.js';

export type WsState =
  | 'idle'
  | 'connecting'
  | 'subscribing'
  | 'open'
  | 'waiting'
  | 'replaced'
  | 'stopped'
  | 'closing'
  | 'closed';

export interface WsConnectionEvents {
  /** Subscribed (first time and after every reconnect). */
  subscribed: (info: { subscribes: number }) => void;
  /** The socket went away (or was replaced as half-alive); a reconnect follows after `delayMs`. */
  lost: (info: { reason: string; attempt: number; delayMs: number }) => void;
  /** WeCom sent `disconnected_event`: another connection subscribed for this bot. No reconnect. */
  replaced: () => void;
  /** Given up for good: `subscribe_refused`, `subscribe_exhausted` or `reconnect_exhausted`. */
  stopped: (error: WeComWsError) => void;
  closed: () => void;
}

export type WsCallbackHandler = (frame: WsCallbackFrame) => void | Promise<void>;

export interface WsTransport {
  /** Resolves once subscribed (for `WsLeader`: once started, leader or standby). */
  start(): Promise<void>;
  /** Every callback WeCom pushes (messages and events, not `disconnected_event`). Returns an unsubscribe. */
  onCallback(handler: WsCallbackHandler): () => void;
  /** One reply frame under the callback's req_id (`aibot_respond_msg` unless `cmd` says otherwise). */
  respond(reqId: string, body: Record<string, unknown>, cmd?: string): Promise<WsAck>;
  /** A command under a new req_id: `aibot_send_msg`, `aibot_upload_media_*`. */
  send(cmd: string, body?: Record<string, unknown>): Promise<WsAck>;
  /** Drains frames in flight for up to `timeoutMs`, then closes; `dropped` = frames rejected. */
  close(options?: { timeoutMs?: number }): Promise<{ dropped: number }>;
}
