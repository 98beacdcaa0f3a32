/**
 * Local test helpers: a bot with a captured logger, encrypted callbacks through `receive`/`handle`,
 * a real node:http server for the bot, and a fake WeCom (response_url + media CDN) on 127.0.0.1.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore, toNodeListener, type WeComResponse } from '@maven/wecom-core';
import { decodeEncodingAESKey, pkcs7Pad } from '@maven/wecom-crypto';
import { type BotReply, buildBotCallback, decryptBotReply } from '@maven/wecom-testing';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type DeliveryResult, WeComBot, type WeComBotOptions } from '../src/index.js';

export const TOKEN = 'bot-test-token-QDG6eK';
export const KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
export const OTHER_KEY = '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt';

export interface LogLine {
  level: string;
  text: string;
}

export interface TestBot {
  bot: WeComBot;
  logs: LogLine[];
  delivered: DeliveryResult[];
  failed: DeliveryResult[];
  errors: unknown[];
}

/** A bot with small deadlines and backoff, capturing logs and delivery events. */
export function makeBot(options: Partial<WeComBotOptions> = {}): TestBot {
  const logs: LogLine[] = [];
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      logs.push({ level, text: `${message} ${fields === undefined ? '' : JSON.stringify(fields)}` });
    };
  const bot = new WeComBot({
    token: TOKEN,
    encodingAESKey: KEY,
    deadlineMs: 200,
    http: { timeoutMs: 2000, retry: { backoff: { baseMs: 5, factor: 2, jitter: 0 } } },
    media: { protocols: ['http:'] },
    logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
    ...options,
  });
  const t: TestBot = { bot, logs, delivered: [], failed: [], errors: [] };
  bot.on('reply.delivered', (r) => {
    t.delivered.push(r);
  });
  bot.on('reply.failed', (r) => {
    t.failed.push(r);
  });
  bot.on('error', (e) => {
    t.errors.push(e);
  });
  return t;
}

export interface Posted {
  status: number;
  body: string;
  headers: Record<string, string>;
  nonce: string;
  /** The decrypted passive reply, or null for an empty body. */
  reply: BotReply | null;
}

export function decryptReply(body: string, nonce?: string): BotReply | null {
  return decryptBotReply(body, {
    token: TOKEN,
    encodingAESKey: KEY,
    ...(nonce === undefined ? {} : { expectNonce: nonce }),
  });
}

/** Builds an encrypted callback for `message` and runs it through `bot.receive`. */
export async function post(
  bot: WeComBot,
  message: object | string,
  options: {
    path?: string;
    timestamp?: number;
    nonce?: string;
    token?: string;
    key?: string;
    receiveId?: string;
  } = {},
): Promise<Posted> {
  const cb = buildBotCallback({
    token: options.token ?? TOKEN,
    encodingAESKey: options.key ?? KEY,
    message,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...(options.receiveId === undefined ? {} : { receiveId: options.receiveId }),
  });
  const out: WeComResponse = await bot.receive({
    method: 'POST',
    url: `${options.path ?? '/wecom/bot'}${cb.search}`,
    headers: { 'content-type': 'application/json' },
    body: cb.body,
  });
  const reply = out.status === 200 && out.body.length > 0 ? decryptReply(out.body, cb.nonce) : null;
  return { status: out.status, body: out.body, headers: out.headers, nonce: cb.nonce, reply };
}

/** A deferred: tests open gates to order events without sleeping. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{
  server: Server;
  url: string;
  close: () => Promise<void>;
}> {
  const server = createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        server,
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Serves a bot on 127.0.0.1 through core's node:http glue. */
export function serveBot(bot: WeComBot) {
  return listen(toNodeListener(bot));
}

export type Behaviour =
  | { json: unknown; status?: number; delayMs?: number }
  | { text: string; status?: number }
  | { status: number }
  /** Reads the whole request, then destroys the socket: the POST may have been delivered. */
  | { destroy: true };

export interface ResponseCall {
  code: string;
  body: Record<string, unknown>;
}

export interface MediaSpec {
  bytes: Uint8Array;
  contentType?: string;
  /** Send Content-Length (default true); false streams chunked with no declared size. */
  contentLength?: boolean;
  /** Lie about the length: declare this Content-Length. */
  declaredLength?: number;
  status?: number;
  headers?: Record<string, string>;
}

/** A fake WeCom: response_url endpoints with scripted answers, and a media CDN. */
export async function startFakeWeCom() {
  const calls: ResponseCall[] = [];
  const scripts = new Map<string, Behaviour[]>();
  const media = new Map<string, MediaSpec>();
  let codes = 0;
  const { url, close } = await listen((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (req.method === 'GET' && path.startsWith('/media/')) {
      const spec = media.get(path.slice('/media/'.length));
      if (!spec) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.statusCode = spec.status ?? 200;
      res.setHeader('content-type', spec.contentType ?? 'application/octet-stream');
      for (const [k, v] of Object.entries(spec.headers ?? {})) res.setHeader(k, v);
      if (spec.declaredLength !== undefined) res.setHeader('content-length', spec.declaredLength);
      else if (spec.contentLength !== false) res.setHeader('content-length', spec.bytes.length);
      // Chunks, so a streamed cap is exercised even when no length is declared.
      const chunk = 64 * 1024;
      for (let i = 0; i < spec.bytes.length; i += chunk) res.write(spec.bytes.subarray(i, i + chunk));
      res.end();
      return;
    }
    const code = new URL(req.url ?? '/', 'http://x').searchParams.get('response_code') ?? '';
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({
        code,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      const behaviour = scripts.get(code)?.shift() ?? { json: { errcode: 0, errmsg: 'ok' } };
      if ('destroy' in behaviour) {
        req.socket.destroy();
        return;
      }
      const delay = 'delayMs' in behaviour ? (behaviour.delayMs ?? 0) : 0;
      setTimeout(() => answer(res, behaviour), delay);
    });
  });
  function answer(res: ServerResponse, behaviour: Exclude<Behaviour, { destroy: true }>): void {
    if (res.destroyed) return;
    res.statusCode = behaviour.status ?? 200;
    if ('json' in behaviour) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(behaviour.json));
    } else if ('text' in behaviour) {
      res.setHeader('content-type', 'text/html');
      res.end(behaviour.text);
    } else res.end();
  }
  return {
    url,
    calls,
    close,
    /** A fresh response_url whose answers follow `behaviours`, then `{errcode:0}`. */
    responseUrl(behaviours: Behaviour[] = []): string {
      const code = `code${++codes}-${Math.random().toString(36).slice(2)}`;
      scripts.set(code, [...behaviours]);
      return `${url}/cgi-bin/aibot/response?response_code=${code}`;
    },
    callsFor(responseUrl: string): ResponseCall[] {
      const code = new URL(responseUrl).searchParams.get('response_code');
      return calls.filter((c) => c.code === code);
    },
    putMedia(name: string, spec: MediaSpec): string {
      media.set(name, spec);
      return `${url}/media/${name}`;
    },
  };
}

export type FakeWeCom = Awaited<ReturnType<typeof startFakeWeCom>>;

/** Encrypts media the way WeCom's CDN serves it: AES-256-CBC, IV = key[0..16], PKCS#7 to 32. */
export function encryptMedia(plain: Uint8Array, encodingAESKey = KEY): Uint8Array {
  const key = decodeEncodingAESKey(encodingAESKey);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(pkcs7Pad(plain)), cipher.final()]));
}

export function nodeMd5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** A tiny valid-looking PNG (signature + IHDR) padded to `size` bytes. */
/** A PNG file-type accepts: signature, a 13-byte IHDR, an IDAT header, then filler bytes. */
export function fakePng(size = 64): Uint8Array {
  const out = new Uint8Array(Math.max(size, 41));
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  out.set([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0], 16); // 1×1, 8-bit RGBA
  out.set([0, 0, 0, 0, 0, 0, 0, 1, 0x49, 0x44, 0x41, 0x54], 29); // CRC (unchecked), IDAT
  for (let i = 41; i < out.length; i++) out[i] = (i * 7) & 0xff;
  return out;
}

export function freshStore(): MemoryStore {
  return new MemoryStore();
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The shared hooks of a bot test file: one fake WeCom (response_url and media CDN) for the file,
 * and every bot made with `setup()` closed after each test.
 */
export function botSuite(closeTimeoutMs = 2000): { readonly wecom: FakeWeCom; setup: typeof makeBot } {
  let wecom: FakeWeCom | undefined;
  const bots: TestBot[] = [];
  beforeAll(async () => {
    wecom = await startFakeWeCom();
  });
  afterAll(() => wecom?.close());
  afterEach(async () => {
    await Promise.all(bots.splice(0).map((t) => t.bot.close({ timeoutMs: closeTimeoutMs })));
  });
  return {
    get wecom(): FakeWeCom {
      if (!wecom) throw new Error('botSuite: the fake WeCom is not started yet');
      return wecom;
    },
    setup(options = {}) {
      const t = makeBot(options);
      bots.push(t);
      return t;
    },
  };
}
