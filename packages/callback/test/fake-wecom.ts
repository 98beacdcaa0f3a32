/**
 * A small local WeCom API on node:http (127.0.0.1, ephemeral port) for the callback tests:
 * gettoken, message/send, media/upload, media/get, message/recall, message/update_template_card,
 * getcallbackip. Tokens are checked like WeCom does (41001 missing, 40014 unknown, 42001 expired),
 * every call is recorded, and faults can be injected per path.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeApp {
  corpId: string;
  corpSecret: string;
}

export interface RecordedCall {
  path: string;
  method: string;
  query: Record<string, string>;
  /** The access_token of the call, if any. */
  token: string | undefined;
  /** The corpSecret the token was issued for (undefined for unknown tokens). */
  tokenOwner: string | undefined;
  json: Record<string, unknown> | undefined;
  upload?: { field: string; filename: string; type: string; size: number; bytes: Buffer };
}

export interface Fault {
  path: string;
  /** Answer 200 with this errcode. */
  errcode?: number;
  /** Answer this HTTP status (body `{}` or `body`). */
  status?: number;
  body?: string;
  contentType?: string;
  /** Wait before answering (then the normal answer, unless errcode/status/body is set). */
  delayMs?: number;
  /** Close the connection without answering. */
  drop?: boolean;
  /** How many calls it applies to. Default 1. */
  times?: number;
}

export interface StoredMedia {
  bytes: Uint8Array;
  type: string;
  filename: string;
}

export interface FakeWeCom {
  baseUrl: string;
  calls(path?: string): RecordedCall[];
  count(path: string): number;
  inject(fault: Fault): void;
  /** Marks every token issued so far as expired (42001 on use). */
  expireAll(): void;
  /** Tokens issued, in order. */
  issued: string[];
  media: Map<string, StoredMedia>;
  close(): Promise<void>;
}

export interface FakeWeComOptions {
  apps: readonly FakeApp[];
  expiresIn?: number;
  /** Delay of every gettoken answer (widens races for single-flight tests). */
  tokenDelayMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeWeCom(options: FakeWeComOptions): Promise<FakeWeCom> {
  const calls: RecordedCall[] = [];
  const faults: Fault[] = [];
  const issued: string[] = [];
  const tokens = new Map<string, { secret: string; expired: boolean }>();
  const media = new Map<string, StoredMedia>();
  let msgCounter = 0;

  const json = (res: ServerResponse, status: number, value: unknown) => {
    const body = JSON.stringify(value);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const body = await readBody(req);
    const token = query.access_token;
    const call: RecordedCall = {
      path,
      method: req.method ?? 'GET',
      query,
      token,
      tokenOwner: token === undefined ? undefined : tokens.get(token)?.secret,
      json: undefined,
    };
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.includes('application/json') && body.length > 0) {
      call.json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    }
    if (contentType.includes('multipart/form-data')) {
      const form = await new Request('http://x/', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: new Uint8Array(body),
      }).formData();
      for (const [field, value] of form.entries()) {
        if (typeof value !== 'string') {
          call.upload = {
            field,
            filename: value.name,
            type: value.type,
            size: value.size,
            bytes: Buffer.from(await value.arrayBuffer()),
          };
        }
      }
    }
    calls.push(call);

    const fault = faults.find((f) => f.path === path && (f.times ?? 1) > 0);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.status !== undefined || fault.errcode !== undefined || fault.body !== undefined) {
        const out = fault.body ?? JSON.stringify({ errcode: fault.errcode ?? 0, errmsg: 'injected' });
        res.writeHead(fault.status ?? 200, { 'content-type': fault.contentType ?? 'application/json' });
        res.end(out);
        return;
      }
    }

    if (path === '/cgi-bin/gettoken') {
      if (options.tokenDelayMs) await sleep(options.tokenDelayMs);
      const corp = options.apps.filter((a) => a.corpId === query.corpid);
      if (corp.length === 0) return json(res, 200, { errcode: 40013, errmsg: 'invalid corpid' });
      const app = corp.find((a) => a.corpSecret === query.corpsecret);
      if (!app) return json(res, 200, { errcode: 40001, errmsg: 'invalid credential' });
      const value = `tok_${randomBytes(24).toString('base64url')}`;
      tokens.set(value, { secret: app.corpSecret, expired: false });
      issued.push(value);
      return json(res, 200, {
        errcode: 0,
        errmsg: 'ok',
        access_token: value,
        expires_in: options.expiresIn ?? 7200,
      });
    }

    // Every other API needs a token.
    if (token === undefined) return json(res, 200, { errcode: 41001, errmsg: 'access_token missing' });
    const known = tokens.get(token);
    if (!known) return json(res, 200, { errcode: 40014, errmsg: 'invalid access_token' });
    if (known.expired) return json(res, 200, { errcode: 42001, errmsg: 'access_token expired' });

    switch (path) {
      case '/cgi-bin/message/send': {
        msgCounter++;
        return json(res, 200, {
          errcode: 0,
          errmsg: 'ok',
          invaliduser: '',
          invalidparty: '',
          invalidtag: '',
          unlicenseduser: '',
          msgid: `msgid-${msgCounter}`,
          ...((call.json?.msgtype === 'template_card'
            ? { response_code: `rc-${msgCounter}` }
            : {}) as object),
        });
      }
      case '/cgi-bin/media/upload': {
        if (!call.upload) return json(res, 200, { errcode: 41005, errmsg: 'media data missing' });
        const id = `media-${media.size + 1}`;
        media.set(id, {
          bytes: call.upload.bytes,
          type: call.upload.type,
          filename: call.upload.filename,
        });
        return json(res, 200, {
          errcode: 0,
          errmsg: '',
          type: query.type,
          media_id: id,
          created_at: '1380000000',
        });
      }
      case '/cgi-bin/media/get': {
        const item = media.get(query.media_id ?? '');
        if (!item) return json(res, 200, { errcode: 40007, errmsg: 'invalid media_id' });
        res.statusCode = 200;
        res.setHeader('content-type', item.type);
        // RFC 6266 form (node:http cannot put raw UTF-8 bytes in a header; the parser's
        // Latin-1 → UTF-8 path for WeCom's raw form is unit-tested in api.test.ts).
        res.setHeader(
          'content-disposition',
          `attachment; filename*=UTF-8''${encodeURIComponent(item.filename)}`,
        );
        res.end(item.bytes);
        return;
      }
      case '/cgi-bin/message/recall':
      case '/cgi-bin/message/update_template_card':
        return json(res, 200, { errcode: 0, errmsg: 'ok', invaliduser: '' });
      case '/cgi-bin/getcallbackip':
        return json(res, 200, { errcode: 0, errmsg: 'ok', ip_list: ['101.226.103.0/25', '101.226.62.0/26'] });
      default:
        return json(res, 404, { errcode: 404, errmsg: 'no such API' });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls: (path) => (path === undefined ? [...calls] : calls.filter((c) => c.path === path)),
    count: (path) => calls.filter((c) => c.path === path).length,
    inject: (fault) => {
      faults.push({ ...fault });
    },
    expireAll: () => {
      for (const t of tokens.values()) t.expired = true;
    },
    issued,
    media,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
