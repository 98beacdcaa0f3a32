/**
 * The simulator's HTTP side: records every request, applies injected faults, then answers from
 * WeCom's API routes, the media CDN or the long-connection control routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_ROUTES, type ApiRequest, type ApiState } from './api-routes.js';
import { errmsgFor } from './errcodes.js';
import type { ActiveFault, FaultQueue } from './faults.js';
import { BodyTooLargeError, parseMaybeJson, readBody, sendBytes, sendJson } from './http-io.js';
import type { MediaCdn } from './media-cdn.js';
import type { CallRecorder, RecordedCall } from './recorder.js';
import { routeKey } from './route-key.js';
import { WS_CONTROL_PREFIX, wsControl } from './ws/control.js';
import type { WsSimulator } from './ws/endpoint.js';

const UPLOAD_MAX = 21 * 1024 * 1024;
const HTML_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';

export interface HttpHandlerDeps {
  recorder: CallRecorder;
  faults: FaultQueue;
  state: ApiState;
  cdn: MediaCdn;
  ws: WsSimulator;
  now: () => number;
  maxBody: number;
  onCall: ((call: RecordedCall) => void) | undefined;
}

export class HttpHandler {
  readonly #timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  readonly #recorder: CallRecorder;
  readonly #faults: FaultQueue;
  readonly #state: ApiState;
  readonly #cdn: MediaCdn;
  readonly #ws: WsSimulator;
  readonly #now: () => number;
  readonly #maxBody: number;
  readonly #onCall: ((call: RecordedCall) => void) | undefined;
  #closed = false;

  constructor(deps: HttpHandlerDeps) {
    this.#recorder = deps.recorder;
    this.#faults = deps.faults;
    this.#state = deps.state;
    this.#cdn = deps.cdn;
    this.#ws = deps.ws;
    this.#now = deps.now;
    this.#maxBody = deps.maxBody;
    this.#onCall = deps.onCall;
  }

  /** Drops pending delays; later requests get no answer. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#timers) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.#timers.clear();
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.#handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { errcode: -1, errmsg: 'simulator error' });
      else res.destroy();
    });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.#timers.add(entry);
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    if (url.pathname.startsWith(WS_CONTROL_PREFIX)) {
      const body = parseMaybeJson(await readBody(req, this.#maxBody));
      const answer = wsControl(this.#ws, req.method ?? 'GET', url, body);
      sendJson(res, answer.status, answer.json);
      return;
    }
    const key = routeKey(url.pathname);
    const query = Object.fromEntries(url.searchParams);
    const call: RecordedCall = {
      key,
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      body: undefined,
      headers: { ...req.headers },
      at: this.#now(),
      status: 0,
      response: undefined,
    };
    let raw: Buffer;
    try {
      raw = await readBody(
        req,
        key === 'media/upload' || key === 'media/uploadimg' ? UPLOAD_MAX : this.#maxBody,
      );
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      this.#answer(res, call, 413, { json: { errcode: 45002, errmsg: 'request body too large' } });
      return;
    }
    call.body = this.#bodyForRecord(key, raw, req.headers['content-type']);
    this.#recorder.add(call);
    const fault = this.#faults.take(key);
    if (fault !== undefined) {
      call.fault = true;
      if (await this.#applyFault(fault, req, res, call)) return;
    }
    if (this.#closed || res.destroyed) return;
    if (key === 'media') {
      this.#serveCdn(url.pathname.slice('/media/'.length), res, call);
      return;
    }
    const route = API_ROUTES[key];
    if (route === undefined) {
      this.#answer(res, call, 404, { text: 'not found', contentType: 'text/plain' });
      return;
    }
    const apiReq: ApiRequest = { method: call.method, key, query, headers: req.headers, raw };
    const routed = route(apiReq, this.#state);
    // Synchronous routes set call.app before anyone waiting on the recorder sees the call.
    const answer = routed instanceof Promise ? await routed : routed;
    if (answer.app !== undefined) call.app = answer.app.name;
    if ('json' in answer) this.#answer(res, call, answer.status, { json: answer.json });
    else this.#answer(res, call, answer.status, { bytes: answer.bytes, headers: answer.headers });
  }

  /** True when the fault answered (or dropped) the request. */
  async #applyFault(
    fault: ActiveFault,
    req: IncomingMessage,
    res: ServerResponse,
    call: RecordedCall,
  ): Promise<boolean> {
    if (fault.delayMs !== undefined && fault.delayMs > 0) await this.#sleep(fault.delayMs);
    if (this.#closed || res.destroyed) return true;
    if (fault.drop === true) {
      req.socket.destroy();
      this.#completed(call);
      return true;
    }
    if (fault.nonJson === true) {
      this.#answer(res, call, fault.status ?? 200, { text: HTML_PAGE, contentType: 'text/html' });
      return true;
    }
    if (fault.errcode !== undefined) {
      const json = { errcode: fault.errcode, errmsg: fault.errmsg ?? errmsgFor(fault.errcode) };
      this.#answer(res, call, fault.status ?? 200, { json });
      return true;
    }
    if (fault.status !== undefined) {
      this.#answer(res, call, fault.status, {
        text: `simulated HTTP ${fault.status}`,
        contentType: 'text/plain',
        ...(fault.status === 429 ? { headers: { 'retry-after': '1' } } : {}),
      });
      return true;
    }
    return false;
  }

  #serveCdn(id: string, res: ServerResponse, call: RecordedCall): void {
    const item = this.#cdn.get(id);
    if (item === undefined || item === 'expired') {
      const [status, code, message] =
        item === 'expired'
          ? [403, 'AccessDenied', 'Request has expired']
          : [404, 'NoSuchKey', 'The specified key does not exist.'];
      this.#answer(res, call, status, {
        text: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
        contentType: 'application/xml',
      });
      return;
    }
    const headers: Record<string, string> = { 'content-type': item.contentType };
    if (item.filename !== undefined)
      headers['content-disposition'] = `attachment; filename="${encodeURIComponent(item.filename)}"`;
    this.#answer(res, call, 200, { bytes: item.encrypted, headers });
  }

  #bodyForRecord(key: string, raw: Buffer, contentType: string | undefined): unknown {
    if (key === 'media/upload') return { bytes: raw.length, contentType };
    return parseMaybeJson(raw);
  }

  #answer(
    res: ServerResponse,
    call: RecordedCall,
    status: number,
    answer:
      | { json: unknown }
      | { text: string; contentType: string; headers?: Record<string, string> }
      | { bytes: Buffer; headers: Record<string, string> },
  ): void {
    call.status = status;
    if (!this.#recorder.has(call)) this.#recorder.add(call);
    if ('json' in answer) {
      call.response = answer.json;
      sendJson(res, status, answer.json);
    } else if ('text' in answer) {
      call.response = answer.text;
      sendBytes(res, status, answer.text, {
        'content-type': `${answer.contentType}; charset=UTF-8`,
        ...answer.headers,
      });
    } else {
      sendBytes(res, status, answer.bytes, answer.headers);
    }
    this.#completed(call);
  }

  #completed(call: RecordedCall): void {
    this.#recorder.notify();
    try {
      this.#onCall?.(call);
    } catch {
      // A logging callback must not break the simulator.
    }
  }
}
