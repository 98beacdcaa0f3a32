/**
 * WeCom's app APIs beyond messages: JS-SDK tickets (get_jsapi_ticket, ticket/get?type=agent_config),
 * group chats (appchat/create, update, get, send) and media/uploadimg, with WeCom's documented
 * shapes and errcodes. State lives per simulator (keyed by its ApiState).
 */
import { randomCode } from '../random.js';
import { type ApiRequest, type ApiState, authed, fail, type Handler, mediaPart, ok } from './api-routes.js';
import type { SimApp } from './apps.js';
import { type ErrorBody, errorBody } from './errcodes.js';
import { parseMaybeJson } from './http-io.js';
import { checkSend } from './message-rules.js';

const TICKET_TTL_S = 7200;
const UPLOADIMG_LIMIT = 2 * 1024 * 1024;
const CHAT_ID = /^[0-9A-Za-z]{1,32}$/;

interface Chat {
  chatid: string;
  name: string;
  owner: string;
  userlist: string[];
  corpId: string;
  app: string;
  /** Messages posted with appchat/send. */
  sent: Record<string, unknown>[];
}

interface AppApiState {
  chats: Map<string, Chat>;
  /** Every ticket issued: kind, app, value, expiry. */
  tickets: { kind: 'corp' | 'agent'; app: string; ticket: string; expiresAt: number }[];
  images: Map<string, Buffer>;
}

const states = new WeakMap<ApiState, AppApiState>();

function stateOf(state: ApiState): AppApiState {
  let s = states.get(state);
  if (s === undefined) {
    s = { chats: new Map(), tickets: [], images: new Map() };
    states.set(state, s);
  }
  return s;
}

function jsonBody(req: ApiRequest): Record<string, unknown> | undefined {
  const value = parseMaybeJson(req.raw);
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function issueTicket(kind: 'corp' | 'agent') {
  return authed('GET', (req, state, app) => {
    if (kind === 'agent' && req.query.type !== 'agent_config')
      return fail(errorBody('invalidParameter', 'type must be agent_config'), app);
    const ticket = randomCode(86);
    stateOf(state).tickets.push({
      kind,
      app: app.name,
      ticket,
      expiresAt: state.now() + TICKET_TTL_S * 1000,
    });
    return ok({ ticket, expires_in: TICKET_TTL_S }, app);
  });
}

function userList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0)
    ? (value as string[])
    : undefined;
}

/** Members outside the directory (when the simulator has one) are refused like WeCom does. */
function unknownMember(state: ApiState, ids: readonly string[]): boolean {
  return state.users !== undefined && ids.some((u) => !state.users!.has(u.toLowerCase()));
}

const chatCreate = authed('POST', (req, state, app) => {
  const body = jsonBody(req);
  if (body === undefined) return fail(errorBody('badFormat'), app);
  const users = userList(body.userlist);
  if (users === undefined || users.length < 2) return fail(errorBody('chatTooFewMembers'), app);
  if (users.length > 2000) return fail(errorBody('chatTooManyMembers'), app);
  if (unknownMember(state, users)) return fail(errorBody('invalidUserId'), app);
  const chats = stateOf(state).chats;
  let chatid =
    typeof body.chatid === 'string' && body.chatid.length > 0
      ? body.chatid
      : randomCode(24)
          .replace(/[^0-9A-Za-z]/g, '')
          .slice(0, 24);
  if (!CHAT_ID.test(chatid)) return fail(errorBody('invalidChatId'), app);
  if (chats.has(chatid)) return fail(errorBody('chatIdExists'), app);
  const owner = typeof body.owner === 'string' && body.owner.length > 0 ? body.owner : users[0]!;
  if (!users.includes(owner)) return fail(errorBody('invalidParameter', 'owner must be a member'), app);
  chatid = String(chatid);
  chats.set(chatid, {
    chatid,
    name: typeof body.name === 'string' ? body.name : '',
    owner,
    userlist: [...users],
    corpId: app.corpId,
    app: app.name,
    sent: [],
  });
  return ok({ chatid }, app);
});

function findChat(state: ApiState, app: SimApp, chatid: unknown): Chat | ErrorBody {
  if (typeof chatid !== 'string' || chatid.length === 0) return errorBody('missingChatId');
  const chat = stateOf(state).chats.get(chatid);
  // Only chats made by appchat/create of this corp are visible.
  if (chat === undefined || chat.corpId !== app.corpId) return errorBody('invalidChatId');
  return chat;
}

const chatUpdate = authed('POST', (req, state, app) => {
  const body = jsonBody(req);
  if (body === undefined) return fail(errorBody('badFormat'), app);
  const chat = findChat(state, app, body.chatid);
  if ('errcode' in chat) return fail(chat, app);
  const add = body.add_user_list === undefined ? [] : userList(body.add_user_list);
  const del = body.del_user_list === undefined ? [] : userList(body.del_user_list);
  if (add === undefined || del === undefined) return fail(errorBody('invalidParameter', 'user lists'), app);
  if (unknownMember(state, add)) return fail(errorBody('invalidUserId'), app);
  const members = [
    ...chat.userlist.filter((u) => !del.includes(u)),
    ...add.filter((u) => !chat.userlist.includes(u)),
  ];
  if (members.length > 2000) return fail(errorBody('chatTooManyMembers'), app);
  const owner = typeof body.owner === 'string' && body.owner.length > 0 ? body.owner : chat.owner;
  if (!members.includes(owner)) return fail(errorBody('invalidParameter', 'owner must be a member'), app);
  chat.userlist = members;
  chat.owner = owner;
  if (typeof body.name === 'string') chat.name = body.name;
  return ok({}, app);
});

const chatGet = authed('GET', (req, state, app) => {
  const chat = findChat(state, app, req.query.chatid);
  if ('errcode' in chat) return fail(chat, app);
  return ok(
    {
      chat_info: {
        chatid: chat.chatid,
        name: chat.name,
        owner: chat.owner,
        userlist: [...chat.userlist],
        chat_type: 0,
      },
    },
    app,
  );
});

const chatSend = authed('POST', (req, state, app) => {
  const body = jsonBody(req);
  if (body === undefined) return fail(errorBody('badFormat'), app);
  const chat = findChat(state, app, body.chatid);
  if ('errcode' in chat) return fail(chat, app);
  if (body.msgtype === 'template_card' || body.msgtype === 'miniprogram_notice')
    return fail(errorBody('invalidMsgType'), app);
  // The message rules of message/send, with the chat as the recipient.
  const checked = checkSend(
    { ...body, agentid: app.agentId, touser: chat.owner },
    { app, media: state.media, users: undefined },
  );
  if ('errcode' in checked) return fail(checked, app);
  chat.sent.push(body);
  return ok({}, app);
});

const uploadImg = authed('POST', async (req, state, app) => {
  const contentType = req.headers['content-type'];
  if (typeof contentType !== 'string' || !/^multipart\/form-data/i.test(contentType))
    return fail(errorBody('emptyMedia', 'multipart/form-data expected'), app);
  const part = await mediaPart(req.raw, contentType);
  if (part === undefined) return fail(errorBody('emptyMedia', 'field "media" missing'), app);
  if (part.data.length <= 5) return fail(errorBody('invalidFileSize'), app);
  if (part.data.length > UPLOADIMG_LIMIT) return fail(errorBody('mediaTooLarge'), app);
  const type = part.contentType.toLowerCase();
  if (type !== 'image/jpeg' && type !== 'image/png') return fail(errorBody('invalidType'), app);
  const id = randomCode(32);
  stateOf(state).images.set(id, Buffer.from(part.data));
  return ok({ url: `https://wework.qpic.cn/sim/${id}/0` }, app);
});

export const APP_API_ROUTES: Record<string, Handler> = {
  get_jsapi_ticket: issueTicket('corp'),
  'ticket/get': issueTicket('agent'),
  'appchat/create': chatCreate,
  'appchat/update': chatUpdate,
  'appchat/get': chatGet,
  'appchat/send': chatSend,
  'media/uploadimg': uploadImg,
};
