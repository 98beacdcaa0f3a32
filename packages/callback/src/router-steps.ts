/**
 * What the app router tells the shared inbound pipeline (@maven/wecom-core): an XML envelope
 * opened by whichever configured app signed it, the typed callback, its dedup key (app + MsgId or
 * the event's identity), the allowlist on the scoped identity, and the encrypted XML passive reply.
 */
import {
  emptyResponse,
  healthResponse,
  type InboundHooks,
  type InboundRequest,
  type Logger,
  type ReceiveContext,
  type SignedQuery,
  WeComRequestError,
  type WeComResponse,
  xmlResponse,
} from '@maven/wecom-core';
import { parseXmlEnvelope, type XmlObject } from '@maven/wecom-crypto';
import type { AllowCheck } from './allowlist.js';
import type { ResolvedApp } from './app-config.js';
import { routeCallback } from './app-routing.js';
import type { AppCallback } from './callback-types.js';
import { dedupKey, dispatchNames, parseCallback } from './parse-callback.js';
import { renderPassiveReply } from './passive-reply.js';
import { type PassiveAnswer, ReplySession, type ReplySessionOptions } from './reply-session.js';
import type { CallbackContext } from './router-events.js';
import type { WeComApi } from './wecom-api.js';

export interface RouterApp extends ResolvedApp {
  readonly api: WeComApi | undefined;
}

export interface RouterStepsInit {
  path: string;
  healthPath: string | undefined;
  apps: readonly RouterApp[];
  byName: ReadonlyMap<string, RouterApp>;
  maxBodyBytes: number;
  allow: AllowCheck;
  logger: Logger;
  now: () => number;
  /** What every reply session of a callback shares (tracking, delivery events, abort handles). */
  session: Omit<ReplySessionOptions<AppCallback>, 'app' | 'callback' | 'api' | 'track'> & {
    track: (task: Promise<unknown>, context: ReceiveContext) => void;
  };
}

export function normalizedPath(pathname: string): string {
  return pathname.replace(/\/+$/, '') || '/';
}

export class RouterSteps
  implements InboundHooks<RouterApp, XmlObject, AppCallback, PassiveAnswer, CallbackContext>
{
  readonly #i: RouterStepsInit;

  constructor(init: RouterStepsInit) {
    this.#i = init;
  }

  /** The health path answers GET; the per-app paths narrow the candidates. */
  route(request: InboundRequest): WeComResponse | undefined {
    const { healthPath } = this.#i;
    if (healthPath === undefined || normalizedPath(request.pathname) !== healthPath) return undefined;
    if (request.method === 'GET') return healthResponse();
    throw new WeComRequestError('method_not_allowed', 'GET only');
  }

  #candidates(pathname: string): readonly RouterApp[] {
    const p = normalizedPath(pathname);
    if (p === this.#i.path) return this.#i.apps;
    const app = this.#i.byName.get(p.slice(this.#i.path.length + 1));
    if (app === undefined) throw new WeComRequestError('not_found', 'unknown app path');
    return [app];
  }

  async verifyUrl(query: SignedQuery & { echostr: string }, request: InboundRequest): Promise<string> {
    for (const app of this.#candidates(request.pathname)) {
      try {
        const plaintext = await app.crypto.verifyUrl(query);
        this.#i.logger.info('callback URL verified', { app: app.info.name });
        return plaintext;
      } catch {
        // try the next app; only if none verifies is the request refused
      }
    }
    throw new WeComRequestError('forbidden', 'no configured app verifies this URL');
  }

  async open(query: SignedQuery, request: InboundRequest): Promise<{ app: RouterApp; decrypted: XmlObject }> {
    const candidates = this.#candidates(request.pathname);
    const envelope = parseXmlEnvelope(request.body, { maxLength: this.#i.maxBodyBytes });
    const routed = await routeCallback(candidates, query, envelope, {
      maxXmlLength: this.#i.maxBodyBytes,
      logger: this.#i.logger,
    });
    return { app: routed.app as RouterApp, decrypted: routed.xml };
  }

  parse(xml: XmlObject): AppCallback {
    return parseCallback(xml);
  }

  dedupKey(callback: AppCallback, app: RouterApp): string {
    return `${app.info.name}:${dedupKey(callback)}`;
  }

  describe(callback: AppCallback, app: RouterApp): { type: string; msgId?: string; app: string } {
    const msgId = callback.kind === 'message' ? callback.msgId : '';
    return { type: dispatchNames(callback)[0]!, ...(msgId ? { msgId } : {}), app: app.info.name };
  }

  eventNames(callback: AppCallback): readonly string[] {
    return dispatchNames(callback);
  }

  #chatId(callback: AppCallback, app: RouterApp): string {
    return `${app.info.corpId}:${app.info.agentId}:${callback.userId}`;
  }

  /** System callbacks (FromUserName `sys`) come from WeCom itself: no user to check. */
  isAllowed(callback: AppCallback, app: RouterApp): boolean {
    if (callback.userId === 'sys') return true;
    return this.#i.allow({ corpId: app.info.corpId, agentId: app.info.agentId, userId: callback.userId });
  }

  deniedInfo(callback: AppCallback, app: RouterApp): unknown {
    return { app: app.info.name, userId: callback.userId, chatId: this.#chatId(callback, app), callback };
  }

  duplicateInfo(callback: AppCallback, app: RouterApp, key: string): unknown {
    return { app: app.info.name, key, callback };
  }

  begin(callback: AppCallback, app: RouterApp, context: ReceiveContext): ReplySession {
    const s = this.#i.session;
    return new ReplySession({
      ...s,
      app: app.info,
      callback,
      api: app.api,
      track: (task) => {
        s.track(task, context);
        return task;
      },
    });
  }

  async render(answer: PassiveAnswer, app: RouterApp): Promise<WeComResponse> {
    const xml = renderPassiveReply(answer.reply, {
      toUser: answer.toUser,
      corpId: app.info.corpId,
      createTime: Math.floor(this.#i.now() / 1000),
    });
    return xmlResponse(200, await app.crypto.encryptReply(xml, { format: 'xml' }));
  }

  acknowledge(): WeComResponse {
    return emptyResponse();
  }
}
