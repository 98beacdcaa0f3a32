/** Factories for decrypted self-built-app callback messages (docs/protocol.md §4.2, §4.3) as XML objects. */
import { WeComConfigError } from '@maven/wecom-crypto';
import type { AppXmlObject, AppXmlValue } from './app-xml.js';
import { appMsgId } from './random.js';

export interface AppMessageOptions {
  /** Sender UserID (`FromUserName`). */
  from: string;
  /** `ToUserName`. */
  corpId: string;
  /** `AgentID`. */
  agentId: number | string;
  /** `CreateTime` in seconds. Default now. */
  createTime?: number;
  /** `MsgId`; default a fresh 64-bit id (rendered as a bare number). */
  msgId?: string | bigint;
}

/** A message object; render it with `toAppMessageXml` or pass it to `buildAppCallback`. */
export type AppMessage = AppXmlObject;

function head(where: string, options: AppMessageOptions, msgType: string): AppXmlObject {
  for (const name of ['from', 'corpId'] as const) {
    if (typeof options[name] !== 'string' || options[name].length === 0) {
      throw new WeComConfigError(`${where}: ${name} is required`);
    }
  }
  return {
    ToUserName: options.corpId,
    FromUserName: options.from,
    CreateTime: options.createTime ?? Math.floor(Date.now() / 1000),
    MsgType: msgType,
  };
}

function agentIdOf(where: string, value: number | string): number | string {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  throw new WeComConfigError(`${where}: agentId must be an integer`);
}

function msgIdOf(value: string | bigint | undefined): string | bigint {
  if (value === undefined) return appMsgId();
  return typeof value === 'string' && /^\d+$/.test(value) ? BigInt(value) : value;
}

function message(
  where: string,
  options: AppMessageOptions,
  msgType: string,
  body: Record<string, AppXmlValue>,
): AppMessage {
  return {
    ...head(where, options, msgType),
    ...body,
    MsgId: msgIdOf(options.msgId),
    AgentID: agentIdOf(where, options.agentId),
  };
}

export function appText(options: AppMessageOptions & { content: string }): AppMessage {
  const { content, ...rest } = options;
  return message('appText', rest, 'text', { Content: content });
}

export function appImage(options: AppMessageOptions & { picUrl: string; mediaId: string }): AppMessage {
  const { picUrl, mediaId, ...rest } = options;
  return message('appImage', rest, 'image', { PicUrl: picUrl, MediaId: mediaId });
}

export function appVoice(options: AppMessageOptions & { mediaId: string; format?: string }): AppMessage {
  const { mediaId, format, ...rest } = options;
  return message('appVoice', rest, 'voice', { MediaId: mediaId, Format: format ?? 'amr' });
}

export function appVideo(options: AppMessageOptions & { mediaId: string; thumbMediaId: string }): AppMessage {
  const { mediaId, thumbMediaId, ...rest } = options;
  return message('appVideo', rest, 'video', { MediaId: mediaId, ThumbMediaId: thumbMediaId });
}

export function appLocation(
  options: AppMessageOptions & { x: number; y: number; scale?: number; label?: string },
): AppMessage {
  const { x, y, scale, label, ...rest } = options;
  return message('appLocation', rest, 'location', {
    Location_X: x,
    Location_Y: y,
    Scale: scale ?? 15,
    Label: label ?? '',
    AppType: 'wxwork',
  });
}

export function appLink(
  options: AppMessageOptions & { title: string; description?: string; url: string; picUrl?: string },
): AppMessage {
  const { title, description, url, picUrl, ...rest } = options;
  return message('appLink', rest, 'link', {
    Title: title,
    Description: description ?? '',
    Url: url,
    PicUrl: picUrl ?? '',
  });
}

/** Options of `appEvent`: the header fields, plus any event fields by their XML names (`EventKey`, …). */
export type AppEventOptions = Omit<AppMessageOptions, 'msgId'> & { [xmlField: string]: AppXmlValue };

/**
 * An event: `MsgType=event`, `Event=<event>`, then the extra fields in order, e.g.
 * `appEvent('click', { from, corpId, agentId, EventKey: 'menu-1' })`.
 * `change_contact` events come from `sys`: pass `from: 'sys'`.
 */
export function appEvent(event: string, options: AppEventOptions): AppMessage {
  if (typeof event !== 'string' || event.length === 0)
    throw new WeComConfigError('appEvent: event is required');
  const { from, corpId, agentId, createTime, ...fields } = options;
  const base: AppMessageOptions = { from, corpId, agentId };
  if (createTime !== undefined) base.createTime = createTime;
  return {
    ...head('appEvent', base, 'event'),
    Event: event,
    ...fields,
    AgentID: agentIdOf('appEvent', agentId),
  };
}
