/** WeCom's API side: `/cgi-bin/*` handlers, each returning what to answer. */
import { randomCode } from '../random.js';
import { APP_API_ROUTES } from './app-api-routes.js';
import type { AppRegistry, SimApp } from './apps.js';
import { type ErrorBody, errorBody } from './errcodes.js';
import { parseMaybeJson } from './http-io.js';
import { MEDIA_LIMITS, type MediaStore } from './media-store.js';
import { checkSend, isInteractiveCard } from './message-rules.js';
import type { ResponseUrlRegistry } from './response-urls.js';

export interface ApiRequest {
  method: string;
  key: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
}

export type ApiAnswer =
  | { status: number; json: unknown; app?: SimApp }
  | { status: number; bytes: Buffer; headers: Record<string, string>; app?: SimApp };

export interface SentMessage {
  app: string;
  msgid: string;
  body: Record<string, unknown>;
  at: number;
  recalled: boolean;
}

export interface ApiState {
  apps: AppRegistry;
  media: MediaStore;
  responseUrls: ResponseUrlRegistry;
  sent: SentMessage[];
  /** response_code of interactive cards → used? */
  cardCodes: Map<string, { app: string; used: boolean; expiresAt: number }>;
  users: ReadonlySet<string> | undefined;
  /** Members without a license (reported in `unlicenseduser`). */
  unlicensed: ReadonlySet<string>;
  callbackIps: readonly string[];
  now: () => number;
}

const RECALL_WINDOW_MS = 24 * 60 * 60 * 1000;
const CARD_CODE_TTL_MS = 72 * 60 * 60 * 1000;

export const ok = (extra: Record<string, unknown> = {}, app?: SimApp): ApiAnswer => ({
  status: 200,
  json: { ...errorBody('ok'), ...extra },
  ...(app === undefined ? {} : { app }),
});
export const fail = (error: ErrorBody, app?: SimApp): ApiAnswer => ({
  status: 200,
  json: error,
  ...(app === undefined ? {} : { app }),
});

export type Handler = (req: ApiRequest, state: ApiState) => ApiAnswer | Promise<ApiAnswer>;

export function authed(
  method: 'GET' | 'POST',
  handler: (req: ApiRequest, state: ApiState, app: SimApp) => ApiAnswer | Promise<ApiAnswer>,
): Handler {
  return (req, state) => {
    const check = state.apps.check(req.query.access_token);
    const owner = state.apps.owner(req.query.access_token);
    if (!check.ok) return fail(check.error, owner);
    if (req.method !== method) return fail(errorBody('wrongMethod'), check.app);
    return handler(req, state, check.app);
  };
}

function jsonBody(req: ApiRequest): Record<string, unknown> | undefined {
  const value = parseMaybeJson(req.raw);
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

const gettoken: Handler = (req, state) => {
  const issued = state.apps.issue(req.query.corpid, req.query.corpsecret);
  if ('errcode' in issued) return fail(issued);
  return ok({ access_token: issued.token, expires_in: issued.expiresIn }, issued.app);
};

const send = authed('POST', (req, state, app) => {
  const body = jsonBody(req);
  if (body === undefined) return fail(errorBody('badFormat'), app);
  const result = checkSend(body, {
    app,
    media: state.media,
    users: state.users,
    unlicensed: state.unlicensed,
  });
  if ('errcode' in result) return fail(result, app);
  const msgid = randomCode(24);
  state.sent.push({ app: app.name, msgid, body, at: state.now(), recalled: false });
  const extra: Record<string, unknown> = {
    invaliduser: result.invaliduser,
    invalidparty: result.invalidparty,
    invalidtag: result.invalidtag,
    unlicenseduser: result.unlicenseduser,
    msgid,
  };
  if (isInteractiveCard(body)) {
    const code = randomCode(24);
    state.cardCodes.set(code, { app: app.name, used: false, expiresAt: state.now() + CARD_CODE_TTL_MS });
    extra.response_code = code;
  }
  return ok(extra, app);
});

const recall = authed('POST', (req, state, app) => {
  const body = jsonBody(req);
  if (body === undefined) return fail(errorBody('badFormat'), app);
  if (typeof body.msgid !== 'string' || body.msgid.length === 0)
    return fail(errorBody('invalidParameter', 'msgid missing'), app);
  const sent = state.sent.find((m) => m.msgid === body.msgid && m.app === app.name);
  if (sent === undefined || sent.recalled)
    return fail(errorBody('invalidParameter', 'invalid msgid (simulated)'), app);
  if (state.now() - sent.at > RECALL_WINDOW_MS)
    return fail(errorBody('invalidParameter', 'message older than 24 h (simulated)'), app);
  sent.recalled = true;
  return ok({}, app);
});

const updateCard = authed('POST', (req, state, app) => {
  const body = jsonBody(req);
  if (body === undefined) return fail(errorBody('badFormat'), app);
  if (Number(body.agentid) !== app.agentId) return fail(errorBody('invalidAgentId'), app);
  const code = typeof body.response_code === 'string' ? state.cardCodes.get(body.response_code) : undefined;
  if (code === undefined || code.app !== app.name)
    return fail(errorBody('invalidParameter', 'invalid response_code'), app);
  if (code.used) return fail(errorBody('codeUsed'), app);
  if (state.now() >= code.expiresAt)
    return fail(errorBody('invalidParameter', 'response_code expired (simulated)'), app);
  if (body.button === undefined && body.template_card === undefined) {
    return fail(errorBody('invalidParameter', 'button or template_card required'), app);
  }
  code.used = true;
  return ok({ invaliduser: [] }, app);
});

const callbackIp = authed('GET', (_req, state, app) => ok({ ip_list: [...state.callbackIps] }, app));

const upload = authed('POST', async (req, state, app) => {
  const type = req.query.type;
  const limit = type === undefined ? undefined : MEDIA_LIMITS[type];
  if (type === undefined || limit === undefined) return fail(errorBody('invalidType'), app);
  const contentType = req.headers['content-type'];
  if (typeof contentType !== 'string' || !/^multipart\/form-data/i.test(contentType))
    return fail(errorBody('emptyMedia', 'multipart/form-data expected'), app);
  const part = await mediaPart(req.raw, contentType);
  if (part === undefined) return fail(errorBody('emptyMedia', 'field "media" missing'), app);
  if (part.data.length <= 5) return fail(errorBody('invalidFileSize'), app);
  if (part.data.length > limit) return fail(errorBody('mediaTooLarge'), app);
  const stored = state.media.add({
    type,
    filename: part.filename,
    contentType: part.contentType,
    data: part.data,
    corpId: app.corpId,
  });
  return {
    status: 200,
    json: {
      errcode: 0,
      errmsg: '',
      type,
      media_id: stored.mediaId,
      created_at: String(Math.floor(stored.createdAt / 1000)),
    },
    app,
  };
});

/** The `media` field of a multipart body, parsed by the runtime's own form-data reader. */
export async function mediaPart(
  raw: Buffer,
  contentType: string,
): Promise<{ data: Buffer; filename: string; contentType: string } | undefined> {
  let field: FormDataEntryValue | null;
  try {
    field = (
      await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData()
    ).get('media');
  } catch {
    return undefined; // not well-formed
  }
  if (field === null) return undefined;
  if (typeof field === 'string') {
    return { data: Buffer.from(field), filename: 'media', contentType: 'application/octet-stream' };
  }
  return {
    data: Buffer.from(await field.arrayBuffer()),
    filename: field.name || 'media',
    contentType: field.type || 'application/octet-stream',
  };
}

const mediaGet = authed('GET', (req, state, app) => {
  const id = req.query.media_id;
  if (!id) return fail(errorBody('missingMediaId'), app);
  const item = state.media.get(id, app.corpId);
  if (item === undefined) return fail(errorBody('invalidMediaId'), app);
  return {
    status: 200,
    bytes: item.data,
    headers: {
      'content-type': item.contentType,
      'content-disposition': `attachment; filename="${encodeURIComponent(item.filename)}"`,
    },
    app,
  };
});

const aibotResponse: Handler = (req, state) => {
  if (req.method !== 'POST') return fail(errorBody('wrongMethod'));
  return fail(state.responseUrls.receive(req.query.response_code, parseMaybeJson(req.raw)));
};

export const API_ROUTES: Record<string, Handler> = {
  gettoken,
  'message/send': send,
  'message/recall': recall,
  'message/update_template_card': updateCard,
  getcallbackip: callbackIp,
  'media/upload': upload,
  'media/get': mediaGet,
  'aibot/response': aibotResponse,
  ...APP_API_ROUTES,
};
