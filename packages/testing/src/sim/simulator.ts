/**
 * The simulated WeCom: one node:http server with WeCom's API paths, response_url endpoints, an
 * encrypted media CDN, fault injection and a record of every call; plus drivers that call a
 * webhook the way WeCom does.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { checkKeys, optionalNumber } from '@maven/wecom-core';
import { WeComConfigError } from '@maven/wecom-crypto';
import type { ApiState, SentMessage } from './api-routes.js';
import { AppDriver, type AppDriverOptions } from './app-driver.js';
import { AppRegistry, type SimApp, type SimAppOptions } from './apps.js';
import { BotDriver, type BotDriverOptions } from './bot-driver.js';
import { FaultQueue, type FaultSpec } from './faults.js';
import { HttpHandler } from './http-handler.js';
import { MediaCdn, type PutMediaOptions } from './media-cdn.js';
import { MediaStore, type UploadedMedia } from './media-store.js';
import { CallRecorder, type RecordedCall } from './recorder.js';
import { type ReceivedResponse, type ResponseUrlOptions, ResponseUrlRegistry } from './response-urls.js';
import { normalizeKey } from './route-key.js';
import { WsEndpoint, type WsSimulator } from './ws/endpoint.js';
import type { WsBotOptions } from './ws/types.js';

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
  /** Members without a license: `message/send` reports them in `unlicenseduser` (and delivers to the others). */
  unlicensedUsers?: readonly string[];
  /** `getcallbackip` answer. Default `['127.0.0.1']`. */
  callbackIps?: readonly string[];
  /** Largest request body (except media uploads, capped at 21 MiB). Default 2 MiB. */
  maxBodyBytes?: number;
  /** Called when a call was answered (or dropped), e.g. to log it. */
  onCall?: (call: RecordedCall) => void;
  /** AI bots that may subscribe on the long-connection endpoint (`wsUrl`). */
  bots?: readonly WsBotOptions[];
}

export interface WaitOptions {
  /** Default 5000. */
  timeoutMs?: number;
}

export interface WeComSimulator {
  /** `http://127.0.0.1:<port>`: use it as the API base URL instead of `https://qyapi.weixin.qq.com`. */
  readonly url: string;
  /** `ws://127.0.0.1:<port>`: the AI-bot long-connection endpoint (same port). */
  readonly wsUrl: string;
  /** The long-connection side: bots, pushes, recorded frames, faults. */
  readonly ws: WsSimulator;
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
  'unlicensedUsers',
  'callbackIps',
  'maxBodyBytes',
  'onCall',
  'bots',
] as const;

function codeOf(codeOrUrl: string): string {
  if (/^https?:/.test(codeOrUrl)) return new URL(codeOrUrl).searchParams.get('response_code') ?? '';
  return codeOrUrl;
}

class Simulator implements WeComSimulator {
  url = '';
  port = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #recorder = new CallRecorder();
  readonly #http: HttpHandler;
  readonly #ws: WsEndpoint;
  readonly #faults = new FaultQueue();
  readonly #state: ApiState;
  readonly #cdn: MediaCdn;
  #closed = false;

  constructor(options: WeComSimulatorOptions) {
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') throw new WeComConfigError('now must be a function');
    if (options.onCall !== undefined && typeof options.onCall !== 'function')
      throw new WeComConfigError('onCall must be a function');
    const onCall = options.onCall;
    const ttl = optionalNumber('startWeComSimulator', 'tokenTtlSeconds', options.tokenTtlSeconds, 7200, {
      min: 1,
    });
    const maxBody = optionalNumber(
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
      unlicensed: new Set((options.unlicensedUsers ?? []).map((u) => u.toLowerCase())),
      callbackIps: options.callbackIps ?? ['127.0.0.1'],
      now,
    };
    this.#cdn = new MediaCdn(now);
    if (options.bots !== undefined && !Array.isArray(options.bots))
      throw new WeComConfigError('bots must be an array of { botId, secret }');
    this.#ws = new WsEndpoint(now, options.bots ?? []);
    this.#http = new HttpHandler({
      recorder: this.#recorder,
      faults: this.#faults,
      state: this.#state,
      cdn: this.#cdn,
      ws: this.#ws,
      now,
      maxBody,
      onCall,
    });
    this.#server = createServer((req, res) => this.#http.handle(req, res));
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
        this.#ws.attach(this.#server, `ws://${shown}:${address.port}`);
        resolve();
      });
    });
  }

  get wsUrl(): string {
    return this.#ws.url;
  }

  get ws(): WsSimulator {
    return this.#ws;
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
    this.#http.close();
    this.#ws.close();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
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
