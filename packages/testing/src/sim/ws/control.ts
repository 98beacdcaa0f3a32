/**
 * HTTP routes a separate process (the `wecom-sim send --mode ws` CLI) uses to drive a running
 * simulator's long-connection side: push a callback, read the frames answered under its req_id.
 * Not part of WeCom's API; they live under `/sim/ws/`.
 */
import type { WsSimulator } from './endpoint.js';
import { isFinalReply } from './protocol.js';

export const WS_CONTROL_PREFIX = '/sim/ws/';

export interface ControlAnswer {
  status: number;
  json: Record<string, unknown>;
}

function bad(errmsg: string): ControlAnswer {
  return { status: 400, json: { errcode: 40058, errmsg } };
}

export function wsControl(ws: WsSimulator, method: string, url: URL, body: unknown): ControlAnswer {
  const route = url.pathname.slice(WS_CONTROL_PREFIX.length);
  if (route === 'push' && method === 'POST') {
    const b = body as { bot?: unknown; body?: unknown; cmd?: unknown } | undefined;
    if (typeof b?.bot !== 'string' || b.body === null || typeof b.body !== 'object')
      return bad('push needs { bot, body }');
    if (!ws.bots.includes(b.bot))
      return { status: 404, json: { errcode: 40058, errmsg: `unknown bot ${b.bot}` } };
    const pushed = ws.push(
      b.bot,
      b.body as Record<string, unknown>,
      typeof b.cmd === 'string' ? { cmd: b.cmd } : {},
    );
    return {
      status: 200,
      json: { errcode: 0, errmsg: 'ok', req_id: pushed.reqId, delivered: pushed.delivered },
    };
  }
  if (route === 'frames' && method === 'GET') {
    const reqId = url.searchParams.get('req_id');
    if (!reqId) return bad('frames needs ?req_id=');
    const frames = ws
      .frames({ reqId })
      .filter((f) => f.answer !== undefined)
      .map((f) => ({ seq: f.seq, cmd: f.cmd, body: f.body, answer: f.answer }));
    const last = frames.filter((f) => f.answer?.errcode === 0).at(-1);
    const final = last?.cmd !== undefined && isFinalReply(last.cmd, last.body);
    return { status: 200, json: { errcode: 0, errmsg: 'ok', frames, final } };
  }
  return { status: 404, json: { errcode: 40058, errmsg: 'unknown control route' } };
}
