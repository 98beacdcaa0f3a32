/**
 * The simulated WeCom: one node:http server with WeCom's API paths, response_url endpoints, an
 * encrypted media CDN, fault injection and a record of every call; plus drivers that call a
 * webhook the way WeCom does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { checkKeys, optionalNumber } from '@maven/wecom-core';
import { WeComConfigError } from '@maven/wecom-crypto';
import { API_ROUTES, type ApiRequest, type ApiState, type SentMessage } from './api-routes.js';
import { AppDriver, type AppDriverOptions } from './app-driver.js';
import { AppRegistry, type SimApp, type SimAppOptions } from './apps.js';
import { BotDriver, type BotDriverOptions } from './bot-driver.js';
import { errmsgFor } from './errcodes.js';
import { type ActiveFault, FaultQueue, type FaultSpec } from './faults.js';
import { BodyTooLargeError, parseMaybeJson, readBody, sendBytes, sendJson } from './http-io.js';
import { MediaCdn, type PutMediaOptions } from './media-cdn.js';
import { MediaStore, type UploadedMedia } from './media-store.js';
import { CallRecorder, type RecordedCall } from './recorder.js';
import { type ReceivedResponse, type ResponseUrlOptions, ResponseUrlRegistry } from './response-urls.js';
import { normalizeKey, routeKey } from './route-key.js';

export interface WeComSimulatorOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Self-built apps that may call `gettoken`. */
  apps?: readonly SimAppOptions[];
  /** `expires_in` of issued access tokens, seconds. Default 7200. */
  tokenTtlSeconds?: number;
  /** Clock in ms for token, response_url and media expiry. Default `Date.now`. */
  now?: () => number;
  /** Known userids: when set, `message/send` reports others in `invaliduser` (81013 when all are). */
  users?: readonly string[];
  /** `getcallbackip` answer. Default `['127.0.0.1']`. */
  callbackIps?: readonly string[];
  /** Largest request body (except media uploads, capped at 21 MiB). Default 2 MiB. */
  maxBodyBytes?: number;
  /** Called when a call was answered (or dropped), e.g. to log it. */
  onCall?: (call: RecordedCall) => void;
}

export interface WaitOptions {
  /** Default 5000. */
  timeoutMs?: number;
}

export interface WeComSimulator {
  /** `http://127.0.0.1:<port>`: use it as the API base URL instead of `https://qyapi.weixin.qq.com`. */
  readonly url: string;
  readonly port: number;
  readonly apps: readonly SimApp[];
  addApp(app: SimAppOptions): SimApp;
  /** Recorded calls, all or of one route (`gettoken`, `message/send`, `/cgi-bin/media/upload`, `media`…). */
  calls(path?: string): RecordedCall[];
  count(path?: string): number;
  clearCalls(): void;
  /** Resolves with the `count`-th call of a route once it has arrived. */
  waitForCall(path: string, options?: WaitOptions & { count?: number }): Promise<RecordedCall>;
  /** Bodies accepted by `message/send`, optionally of one app (by name). */
  messages(app?: string): SentMessage[];
  inject(fault: FaultSpec | readonly FaultSpec[]): void;
  clearFaults(): void;
  /** `${url}/cgi-bin/aibot/response?response_code=…`: single use, one hour. */
  createResponseUrl(options?: ResponseUrlOptions): string;
  /** What response URLs received (a code or a whole response URL filters). */
  responses(codeOrUrl?: string): ReceivedResponse[];
  /** Resolves once the response URL received an accepted post (errcode 0). */
  waitForResponse(codeOrUrl: string, options?: WaitOptions): Promise<ReceivedResponse>;
  /** Stores bytes encrypted like WeCom's media CDN; returns `${url}/media/<id>`. */
  putMedia(bytes: Uint8Array, options: PutMediaOptions): string;
  /** Files received by `media/upload`. */
  uploadedMedia(): UploadedMedia[];
  /** Issued tokens answer 42001 from now on (all apps, or one by name). Returns how many. */
  expireTokens(app?: string): number;
  /** Issued tokens answer 40014 from now on, as when WeCom invalidates them early. */
  revokeTokens(app?: string): number;
  /** A driver that calls an AI-bot webhook like WeCom. */
  bot(options: BotDriverOptions): BotDriver;
  /** A driver that calls a self-built-app callback URL like WeCom. */
  app(
    options: Omit<AppDriverOptions, 'corpId' | 'agentId'> &
      Partial<Pick<AppDriverOptions, 'corpId' | 'agentId'>>,
  ): AppDriver;
  /** Stops the server, drops open connections and pending delays. */
  close(): Promise<void>;
}

const OPTION_KEYS = [
  'host',
  'port',
  'apps',
  'tokenTtlSeconds',
  'now',
  'users',
  'callbackIps',
  'maxBodyBytes',
  'onCall',
] as const;
const UPLOAD_MAX = 21 * 1024 * 1024;
const HTML_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';

function codeOf(codeOrUrl: string): string {
  if (/^https?:/.test(codeOrUrl)) return new URL(codeOrUrl).searchParams.get('response_code') ?? '';
  return codeOrUrl;
}

class Simulator implements WeComSimulator {
  url = '';
  port = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  readonly #recorder = new CallRecorder();
  readonly #faults = new FaultQueue();
  readonly #state: ApiState;
  readonly #cdn: MediaCdn;
  readonly #now: () => number;
  readonly #maxBody: number;
  readonly #onCall: ((call: RecordedCall) => void) | undefined;
  #closed = false;

  constructor(options: WeComSimulatorOptions) {
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') throw new WeComConfigError('now must be a function');
    this.#now = now;
    if (options.onCall !== undefined && typeof options.onCall !== 'function')
      throw new WeComConfigError('onCall must be a function');
    this.#onCall = options.onCall;
    const ttl = optionalNumber('startWeComSimulator', 'tokenTtlSeconds', options.tokenTtlSeconds, 7200, {
      min: 1,
    });
    this.#maxBody = optionalNumber(
      'startWeComSimulator',
      'maxBodyBytes',
      options.maxBodyBytes,
      2 * 1024 * 1024,
      { min: 1 },
    );
    if (options.users !== undefined && !Array.isArray(options.users))
      throw new WeComConfigError('users must be an array');
    this.#state = {
      apps: new AppRegistry(options.apps ?? [], ttl, now),
      media: new MediaStore(now),
      responseUrls: new ResponseUrlRegistry(now),
      sent: [],
      cardCodes: new Map(),
      users: options.users === undefined ? undefined : new Set(options.users.map((u) => u.toLowerCase())),
      callbackIps: options.callbackIps ?? ['127.0.0.1'],
      now,
    };
    this.#cdn = new MediaCdn(now);
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { errcode: -1, errmsg: 'simulator error' });
        else res.destroy();
      });
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('simulator has no TCP address'));
          return;
        }
        this.port = address.port;
        const shown = address.address.includes(':') ? `[${address.address}]` : address.address;
        this.url = `http://${shown}:${address.port}`;
        resolve();
      });
    });
  }

  get apps(): readonly SimApp[] {
    return this.#state.apps.apps;
  }

  addApp(app: SimAppOptions): SimApp {
    return this.#state.apps.add(app);
  }

  calls(path?: string): RecordedCall[] {
    return this.#recorder.list(path);
  }

  count(path?: string): number {
    return this.#recorder.list(path).length;
  }

  clearCalls(): void {
    this.#recorder.clear();
  }

  waitForCall(path: string, options: WaitOptions & { count?: number } = {}): Promise<RecordedCall> {
    const n = options.count ?? 1;
    return this.#recorder.waitUntil(
      () => this.#recorder.list(path)[n - 1],
      options.timeoutMs ?? 5000,
      `call #${n} of ${normalizeKey(path)}`,
    );
  }

  messages(app?: string): SentMessage[] {
    return this.#state.sent.filter((m) => app === undefined || m.app === app);
  }

  inject(fault: FaultSpec | readonly FaultSpec[]): void {
    const list: readonly FaultSpec[] = Array.isArray(fault) ? fault : [fault as FaultSpec];
    for (const f of list) this.#faults.add(f);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  createResponseUrl(options: ResponseUrlOptions = {}): string {
    checkKeys('createResponseUrl', options, ['chattype', 'ttlMs']);
    const code = this.#state.responseUrls.create(options);
    return `${this.url}/cgi-bin/aibot/response?response_code=${code}`;
  }

  responses(codeOrUrl?: string): ReceivedResponse[] {
    return this.#state.responseUrls.received(codeOrUrl === undefined ? undefined : codeOf(codeOrUrl));
  }

  waitForResponse(codeOrUrl: string, options: WaitOptions = {}): Promise<ReceivedResponse> {
    const code = codeOf(codeOrUrl);
    return this.#recorder.waitUntil(
      () => this.#state.responseUrls.received(code).find((r) => r.result.errcode === 0),
      options.timeoutMs ?? 5000,
      'a post to the response_url',
    );
  }

  putMedia(bytes: Uint8Array, options: PutMediaOptions): string {
    return `${this.url}/media/${this.#cdn.put(bytes, options).id}`;
  }

  uploadedMedia(): UploadedMedia[] {
    return this.#state.media.list();
  }

  expireTokens(app?: string): number {
    return this.#state.apps.expire(app);
  }

  revokeTokens(app?: string): number {
    return this.#state.apps.revoke(app);
  }

  bot(options: BotDriverOptions): BotDriver {
    return new BotDriver(this, options);
  }

  app(
    options: Omit<AppDriverOptions, 'corpId' | 'agentId'> &
      Partial<Pick<AppDriverOptions, 'corpId' | 'agentId'>>,
  ): AppDriver {
    const known = options.name === undefined ? undefined : this.#state.apps.find(options.name);
    const corpId = options.corpId ?? known?.corpId;
    const agentId = options.agentId ?? known?.agentId;
    if (corpId === undefined || agentId === undefined) {
      throw new WeComConfigError(
        'sim.app: corpId and agentId are required (or the name of a registered app)',
      );
    }
    return new AppDriver({ ...options, corpId, agentId });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#timers) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.#timers.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
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
      raw = await readBody(req, key === 'media/upload' ? UPLOAD_MAX : this.#maxBody);
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

/** Starts a simulated WeCom on 127.0.0.1 and an ephemeral port (configurable). */
export async function startWeComSimulator(options: WeComSimulatorOptions = {}): Promise<WeComSimulator> {
  checkKeys('startWeComSimulator', options, OPTION_KEYS);
  const port = optionalNumber('startWeComSimulator', 'port', options.port, 0, {
    min: 0,
    max: 65535,
    integer: true,
  });
  if (!Number.isInteger(port) || port > 65535)
    throw new WeComConfigError('startWeComSimulator: port must be 0..65535');
  const sim = new Simulator(options);
  await sim.listen(options.host ?? '127.0.0.1', port);
  return sim;
}
