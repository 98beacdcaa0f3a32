/** Decrypted callback XML → a typed callback. Unknown types become `kind: 'unknown'`, never text. */
import { WeComRequestError } from '@maven/wecom-core';
import type { XmlObject } from '@maven/wecom-crypto';
import type {
  AppCallback,
  AppEvent,
  ChangeContactEvent,
  TemplateCardSelection,
  UnknownCallback,
  UserMessage,
} from './callback-types.js';
import { moreSubject, parseMoreEvents } from './parse-events.js';
import { child, list, many, num, optional, text } from './xml-fields.js';

function required(raw: XmlObject, name: string): string {
  const value = raw[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new WeComRequestError('bad_request', `decrypted callback has no <${name}>`);
  }
  return value;
}

type Header = Omit<UserMessage, 'type' | 'kind' | 'msgId'>;

/** Parses the children of the decrypted `<xml>` root. Throws 400 when a header field is missing. */
export function parseCallback(raw: XmlObject): AppCallback {
  const createTime = required(raw, 'CreateTime');
  if (!/^\d{1,15}$/.test(createTime))
    throw new WeComRequestError('bad_request', 'CreateTime is not a number');
  const header: Header = {
    corpId: required(raw, 'ToUserName'),
    userId: required(raw, 'FromUserName'),
    createTime: Number(createTime),
    msgType: required(raw, 'MsgType'),
    raw,
  };
  const agentId = optional(raw, 'AgentID');
  if (agentId !== undefined) header.agentId = agentId;
  if (header.msgType === 'event') return parseEvent(header, raw);
  return parseMessage(header, raw);
}

function parseMessage(h: Header, raw: XmlObject): UserMessage | UnknownCallback {
  const msgId = text(raw, 'MsgId');
  const base = { ...h, kind: 'message' as const, msgId };
  switch (h.msgType) {
    case 'text':
      return { ...base, type: 'text', content: text(raw, 'Content') };
    case 'image':
      return { ...base, type: 'image', picUrl: text(raw, 'PicUrl'), mediaId: text(raw, 'MediaId') };
    case 'voice':
      return { ...base, type: 'voice', mediaId: text(raw, 'MediaId'), format: text(raw, 'Format') };
    case 'video':
      return {
        ...base,
        type: 'video',
        mediaId: text(raw, 'MediaId'),
        thumbMediaId: text(raw, 'ThumbMediaId'),
      };
    case 'location':
      return {
        ...base,
        type: 'location',
        latitude: num(raw, 'Location_X'),
        longitude: num(raw, 'Location_Y'),
        scale: num(raw, 'Scale'),
        label: text(raw, 'Label'),
        appType: text(raw, 'AppType'),
      };
    case 'link':
      return {
        ...base,
        type: 'link',
        title: text(raw, 'Title'),
        description: text(raw, 'Description'),
        url: text(raw, 'Url'),
        picUrl: text(raw, 'PicUrl'),
      };
    default: {
      const unknown: UnknownCallback = { ...h, kind: 'unknown' };
      if (msgId !== '') unknown.msgId = msgId;
      return unknown;
    }
  }
}

function parseEvent(h: Header, raw: XmlObject): AppEvent | UnknownCallback {
  const event = text(raw, 'Event');
  const base = { ...h, kind: 'event' as const, eventKey: text(raw, 'EventKey') };
  switch (event) {
    case 'subscribe':
    case 'unsubscribe':
    case 'enter_agent':
    case 'click':
    case 'view':
    case 'view_miniprogram':
      return { ...base, event };
    case 'LOCATION':
      return {
        ...base,
        event,
        latitude: num(raw, 'Latitude'),
        longitude: num(raw, 'Longitude'),
        precision: num(raw, 'Precision'),
        appType: text(raw, 'AppType'),
      };
    case 'scancode_push':
    case 'scancode_waitmsg': {
      const info = child(raw, 'ScanCodeInfo');
      return { ...base, event, scanType: text(info, 'ScanType'), scanResult: text(info, 'ScanResult') };
    }
    case 'pic_sysphoto':
    case 'pic_photo_or_album':
    case 'pic_weixin': {
      const info = child(raw, 'SendPicsInfo');
      const items = many(child(info, 'PicList')?.item);
      const picMd5Sums = items.map((item) =>
        item !== null && typeof item === 'object' && !Array.isArray(item) ? text(item, 'PicMd5Sum') : '',
      );
      const count = num(info, 'Count');
      return { ...base, event, count: Number.isNaN(count) ? picMd5Sums.length : count, picMd5Sums };
    }
    case 'location_select': {
      const info = child(raw, 'SendLocationInfo');
      return {
        ...base,
        event,
        latitude: num(info, 'Location_X'),
        longitude: num(info, 'Location_Y'),
        scale: num(info, 'Scale'),
        label: text(info, 'Label'),
        poiname: text(info, 'Poiname'),
      };
    }
    case 'change_contact':
      return parseChangeContact(base, raw) ?? unknownEvent(h, raw, event);
    case 'batch_job_result': {
      const job = child(raw, 'BatchJob');
      const errCode = num(job, 'ErrCode');
      return {
        ...base,
        event,
        jobId: text(job, 'JobId'),
        jobType: text(job, 'JobType'),
        errCode: Number.isNaN(errCode) ? 0 : errCode,
        errMsg: text(job, 'ErrMsg'),
      };
    }
    case 'template_card_event':
      return {
        ...base,
        event,
        taskId: text(raw, 'TaskId'),
        cardType: text(raw, 'CardType'),
        responseCode: text(raw, 'ResponseCode'),
        selectedItems: selections(raw),
      };
    case 'template_card_menu_event':
      return {
        ...base,
        event,
        taskId: text(raw, 'TaskId'),
        cardType: text(raw, 'CardType'),
        responseCode: text(raw, 'ResponseCode'),
      };
    default:
      return parseMoreEvents(base, raw, event) ?? unknownEvent(h, raw, event);
  }
}

function unknownEvent(h: Header, raw: XmlObject, event: string): UnknownCallback {
  const out: UnknownCallback = { ...h, kind: 'unknown' };
  if (event !== '') out.event = event;
  const changeType = optional(raw, 'ChangeType');
  if (changeType !== undefined) out.changeType = changeType;
  return out;
}

function selections(raw: XmlObject): TemplateCardSelection[] {
  const items = many(child(raw, 'SelectedItems')?.SelectedItem);
  const out: TemplateCardSelection[] = [];
  for (const item of items) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
    const ids = many(child(item, 'OptionIds')?.OptionId).filter((v): v is string => typeof v === 'string');
    out.push({ questionKey: text(item, 'QuestionKey'), optionIds: ids });
  }
  return out;
}

type EventHead = Omit<ChangeContactEvent, 'changeType' | 'event'> & { kind: 'event' };

function parseChangeContact(base: EventHead, raw: XmlObject): ChangeContactEvent | undefined {
  const changeType = text(raw, 'ChangeType');
  const e = { ...base, event: 'change_contact' as const };
  switch (changeType) {
    case 'create_user':
    case 'update_user':
    case 'delete_user': {
      const out: ChangeContactEvent = { ...e, changeType, memberId: text(raw, 'UserID') };
      const fields = [
        ['newMemberId', 'NewUserID'],
        ['name', 'Name'],
        ['mainDepartment', 'MainDepartment'],
        ['position', 'Position'],
        ['mobile', 'Mobile'],
        ['gender', 'Gender'],
        ['email', 'Email'],
        ['bizMail', 'BizMail'],
        ['status', 'Status'],
        ['avatar', 'Avatar'],
        ['alias', 'Alias'],
        ['telephone', 'Telephone'],
        ['address', 'Address'],
      ] as const;
      for (const [key, name] of fields) {
        const value = optional(raw, name);
        if (value !== undefined) out[key] = value;
      }
      const departments = optional(raw, 'Department');
      if (departments !== undefined) out.departments = list(departments);
      return out;
    }
    case 'create_party':
    case 'update_party':
    case 'delete_party': {
      const out: ChangeContactEvent = { ...e, changeType, partyId: text(raw, 'Id') };
      const name = optional(raw, 'Name');
      const parentId = optional(raw, 'ParentId');
      const order = optional(raw, 'Order');
      if (name !== undefined) out.name = name;
      if (parentId !== undefined) out.parentId = parentId;
      if (order !== undefined) out.order = order;
      return out;
    }
    case 'update_tag':
      return {
        ...e,
        changeType,
        tagId: text(raw, 'TagId'),
        addUserItems: list(text(raw, 'AddUserItems')),
        delUserItems: list(text(raw, 'DelUserItems')),
        addPartyItems: list(text(raw, 'AddPartyItems')),
        delPartyItems: list(text(raw, 'DelPartyItems')),
      };
    default:
      return undefined;
  }
}

/**
 * The dedup key of a callback, scoped by the caller with the app name: `MsgId` for messages;
 * `FromUserName + CreateTime + Event + EventKey` for events (and messages without a MsgId), plus
 * the event's subject (member, department, tag, job, card task) so that two different contact
 * changes from `sys` in the same second are not taken for re-deliveries of one.
 */
export function dedupKey(callback: AppCallback): string {
  const msgId = callback.kind === 'event' ? '' : (callback.msgId ?? '');
  if (msgId !== '') return `msg:${msgId}`;
  const event =
    callback.kind === 'event'
      ? callback.event
      : callback.kind === 'unknown'
        ? (callback.event ?? callback.msgType)
        : callback.msgType;
  const key = callback.kind === 'event' ? callback.eventKey : '';
  return `evt:${callback.userId}:${callback.createTime}:${event}:${key}${subject(callback)}`;
}

function subject(callback: AppCallback): string {
  if (callback.kind === 'message') return '';
  if (callback.kind === 'unknown') return callback.changeType === undefined ? '' : `:${callback.changeType}`;
  switch (callback.event) {
    case 'change_contact': {
      const id =
        'memberId' in callback
          ? callback.memberId
          : 'partyId' in callback
            ? callback.partyId
            : callback.tagId;
      return `:${callback.changeType}:${id}`;
    }
    case 'batch_job_result':
      return `:${callback.jobId}`;
    case 'template_card_event':
    case 'template_card_menu_event':
      return `:${callback.taskId}:${callback.responseCode}`;
    default:
      return moreSubject(callback);
  }
}

/** The dispatch names of a callback, most specific first. */
export function dispatchNames(callback: AppCallback): string[] {
  if (callback.kind === 'message') return [callback.type, 'message', 'callback'];
  if (callback.kind === 'unknown') return ['unknown', 'callback'];
  const names = [`event.${callback.event}`];
  if ('changeType' in callback) names.unshift(`event.${callback.event}.${callback.changeType}`);
  return [...names, 'event', 'callback'];
}
