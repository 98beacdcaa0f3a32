/**
 * Group chats made by the app (appchat/create, update, get, send). Only chats created through
 * appchat/create can be managed or posted to this way; members must be in the app's visible range.
 */
import { type ApiResult, checkKeys, requireString, WeComError } from '@maven/wecom-core';
import type { ApiCore } from './api-core.js';
import { WeComMessageError } from './errors.js';
import { checkOutboundMessage, type OutboundMessage } from './outbound-message.js';
import type { AppChatInfo, CreateAppChatOptions, UpdateAppChatOptions } from './wecom-api-types.js';

const CHAT_ID = /^[0-9A-Za-z]{1,32}$/;

function members(where: string, value: readonly string[] | undefined, min: number): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new WeComMessageError(`${where}: give UserIDs as non-empty strings`);
  }
  if (value.length < min || value.length > 2000) {
    throw new WeComMessageError(`${where}: a group chat has ${min} to 2000 members`);
  }
  return [...value];
}

function chatId(where: string, value: unknown): string {
  if (typeof value !== 'string' || !CHAT_ID.test(value)) {
    throw new WeComMessageError(`${where}: chatid is 1 to 32 characters of 0-9, a-z, A-Z`);
  }
  return value;
}

function compact(body: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return body;
}

/** appchat/create: the new chat's chatid. */
export async function createAppChat(core: ApiCore, options: CreateAppChatOptions): Promise<string> {
  checkKeys('createAppChat', options, ['userlist', 'name', 'owner', 'chatid']);
  const body = compact({
    name: options.name,
    owner: options.owner,
    userlist: members('createAppChat userlist', options.userlist, 2),
    chatid: options.chatid === undefined ? undefined : chatId('createAppChat', options.chatid),
  });
  const result = await core.call('/cgi-bin/appchat/create', { method: 'POST', json: body });
  if (typeof result.chatid !== 'string' || result.chatid.length === 0) {
    throw new WeComError('invalid_response', 'appchat/create answered without a chatid', { status: 502 });
  }
  return result.chatid;
}

/** appchat/update: rename, change owner, add or remove members. */
export async function updateAppChat(core: ApiCore, options: UpdateAppChatOptions): Promise<void> {
  checkKeys('updateAppChat', options, ['chatid', 'name', 'owner', 'add_user_list', 'del_user_list']);
  const body = compact({
    chatid: chatId('updateAppChat', options.chatid),
    name: options.name,
    owner: options.owner,
    add_user_list: members('updateAppChat add_user_list', options.add_user_list, 1),
    del_user_list: members('updateAppChat del_user_list', options.del_user_list, 1),
  });
  if (Object.keys(body).length === 1) throw new WeComMessageError('updateAppChat: nothing to change');
  await core.call('/cgi-bin/appchat/update', { method: 'POST', json: body });
}

/** appchat/get. */
export async function getAppChat(core: ApiCore, id: string): Promise<AppChatInfo> {
  const result = await core.call<ApiResult & { chat_info?: Record<string, unknown> }>(
    '/cgi-bin/appchat/get',
    {
      method: 'GET',
      query: { chatid: chatId('getAppChat', id) },
      idempotent: true,
    },
  );
  const info = result.chat_info ?? {};
  const out: AppChatInfo = {
    chatid: String(info.chatid ?? id),
    name: String(info.name ?? ''),
    owner: String(info.owner ?? ''),
    userlist: Array.isArray(info.userlist) ? info.userlist.map(String) : [],
  };
  if (typeof info.chat_type === 'number') out.chat_type = info.chat_type;
  return out;
}

/** appchat/send: text, image, voice, video, file, textcard, news, mpnews, markdown. */
export async function sendAppChat(
  core: ApiCore,
  id: string,
  message: OutboundMessage,
  options: { safe?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  requireString('sendAppChat', 'chatid', id);
  checkOutboundMessage(message);
  if (message.msgtype === 'template_card' || message.msgtype === 'miniprogram_notice') {
    throw new WeComMessageError(`sendAppChat: appchat/send does not take ${message.msgtype}`);
  }
  const body: Record<string, unknown> = {
    chatid: chatId('sendAppChat', id),
    msgtype: message.msgtype,
    [message.msgtype]: message[message.msgtype as keyof typeof message],
  };
  if (options.safe !== undefined) body.safe = options.safe ? 1 : 0;
  await core.call('/cgi-bin/appchat/send', {
    method: 'POST',
    json: body,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
