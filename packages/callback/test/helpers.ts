/** Shared test helpers: app configs, encrypted callbacks (via @maven/wecom-testing), servers, log capture. */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, toNodeListener, type WeComHandler, type WeComResponse } from '@maven/wecom-core';
import {
  type AppXmlObject,
  buildAppCallback,
  buildAppVerification,
  type CallbackRequest,
  decryptAppReply,
} from '@maven/wecom-testing';
import type { AppConfig, CallbackRouter } from '../src/index.js';

/** A fresh 43-character EncodingAESKey. */
export function newKey(): string {
  return randomBytes(32).toString('base64').replace(/[+/=]/g, 'A').slice(0, 43);
}

let appCounter = 0;

/** A random, valid app. Secrets are long and unique so leak checks can search for them. */
export function makeApp(overrides: Partial<AppConfig> = {}): Required<AppConfig> {
  appCounter++;
  return {
    name: `app${appCounter}`,
    corpId: `wwcorp${appCounter}`,
    agentId: 1000000 + appCounter,
    token: `tkn${randomBytes(12).toString('hex')}`,
    encodingAESKey: newKey(),
    corpSecret: `sec${randomBytes(16).toString('hex')}`,
    ...overrides,
  } as Required<AppConfig>;
}

export interface PostOptions {
  /** Encrypt with this app's token/key (default: the app itself). */
  signWith?: Pick<AppConfig, 'token' | 'encodingAESKey'>;
  /** Envelope / plaintext overrides. */
  corpId?: string;
  agentId?: number | string;
  timestamp?: number;
  nonce?: string;
}

/** An encrypted callback POST for `app` carrying `message` (an XML object or exact XML). */
export function callbackFor(
  app: Pick<AppConfig, 'token' | 'encodingAESKey' | 'corpId' | 'agentId'>,
  message: AppXmlObject | string,
  options: PostOptions = {},
): CallbackRequest<AppXmlObject | string> {
  return buildAppCallback({
    token: options.signWith?.token ?? app.token,
    encodingAESKey: options.signWith?.encodingAESKey ?? app.encodingAESKey,
    corpId: options.corpId ?? app.corpId,
    agentId: options.agentId ?? app.agentId,
    message,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
  });
}

export function verificationFor(app: Pick<AppConfig, 'token' | 'encodingAESKey' | 'corpId'>, echo?: string) {
  return buildAppVerification({
    token: app.token,
    encodingAESKey: app.encodingAESKey,
    corpId: app.corpId,
    ...(echo === undefined ? {} : { echo }),
  });
}

let msgIds = 7_000_000_000_000_000_000n;

/** A text message XML object with a 64-bit MsgId above 2^53. */
export function textXml(
  app: Pick<AppConfig, 'corpId' | 'agentId'>,
  content: string,
  options: { from?: string; msgId?: string; createTime?: number } = {},
): AppXmlObject {
  msgIds += 1n;
  return {
    ToUserName: app.corpId,
    FromUserName: options.from ?? 'zhangsan',
    CreateTime: options.createTime ?? Math.floor(Date.now() / 1000),
    MsgType: 'text',
    Content: content,
    MsgId: options.msgId === undefined ? msgIds : BigInt(options.msgId),
    AgentID: Number(app.agentId),
  };
}

/** An event XML object. */
export function eventXml(
  app: Pick<AppConfig, 'corpId' | 'agentId'>,
  event: string,
  fields: AppXmlObject = {},
  options: { from?: string; createTime?: number; agentId?: boolean } = {},
): AppXmlObject {
  return {
    ToUserName: app.corpId,
    FromUserName: options.from ?? 'zhangsan',
    CreateTime: options.createTime ?? Math.floor(Date.now() / 1000),
    MsgType: 'event',
    Event: event,
    ...fields,
    ...(options.agentId === false ? {} : { AgentID: Number(app.agentId) }),
  };
}

/** POSTs through `router.receive()`. */
export function post(
  router: WeComHandler,
  request: { search: string; body: string },
  path = '/wecom/callback',
): Promise<WeComResponse> {
  return router.receive({ method: 'POST', url: `${path}${request.search}`, body: request.body });
}

export function openReply(body: string, app: Pick<AppConfig, 'token' | 'encodingAESKey' | 'corpId'>) {
  return decryptAppReply(body, { token: app.token, encodingAESKey: app.encodingAESKey, corpId: app.corpId });
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves a handler on 127.0.0.1 (ephemeral port) through core's toNodeListener. */
export async function listen(handler: WeComHandler): Promise<Listening> {
  const server: Server = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A logger that keeps every line (message + JSON fields) for leak checks. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(
        `${level} ${message} ${JSON.stringify(fields ?? {}, (_k, v) => (v instanceof Error ? { name: v.name, message: v.message } : v))}`,
      );
    };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** Resolves with the next emission of `event` (first argument). */
export function nextEvent<T = unknown>(router: CallbackRouter, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    (router.once as (e: string, fn: (v: T) => void) => void)(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
