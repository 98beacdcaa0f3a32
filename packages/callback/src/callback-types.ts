/**
 * Typed self-built-app callbacks (docs/protocol.md §4.2, §4.3). Field names are camelCase versions of
 * WeCom's; `raw` keeps every field as parsed for anything not typed here. IDs stay strings:
 * MsgId exceeds 2^53.
 */
import type { XmlObject } from '@maven/wecom-crypto';
import type { MoreAppEvent, MoreCallbackMap } from './app-event-types.js';

interface CallbackHeader {
  /** `ToUserName`: the CorpID. */
  corpId: string;
  /** `FromUserName`: the member's UserID (`sys` for contact and batch-job events). */
  userId: string;
  /** `CreateTime`, seconds since the epoch. */
  createTime: number;
  /** `AgentID`, when the callback carries one. */
  agentId?: string;
  /** `MsgType`. */
  msgType: string;
  /** All fields as parsed (every value a string, nested elements objects). */
  raw: XmlObject;
}

// ---------------------------------------------------------------- user messages

interface MessageBase extends CallbackHeader {
  kind: 'message';
  /** `MsgId` as a decimal string ('' when WeCom sent none). */
  msgId: string;
}

export interface TextMessage extends MessageBase {
  type: 'text';
  content: string;
}

export interface ImageMessage extends MessageBase {
  type: 'image';
  picUrl: string;
  mediaId: string;
}

export interface VoiceMessage extends MessageBase {
  type: 'voice';
  mediaId: string;
  /** e.g. `amr`, `speex`. */
  format: string;
}

export interface VideoMessage extends MessageBase {
  type: 'video';
  mediaId: string;
  thumbMediaId: string;
}

export interface LocationMessage extends MessageBase {
  type: 'location';
  /** `Location_X`. */
  latitude: number;
  /** `Location_Y`. */
  longitude: number;
  scale: number;
  label: string;
  appType: string;
}

export interface LinkMessage extends MessageBase {
  type: 'link';
  title: string;
  description: string;
  url: string;
  picUrl: string;
}

export type UserMessage =
  | TextMessage
  | ImageMessage
  | VoiceMessage
  | VideoMessage
  | LocationMessage
  | LinkMessage;
export type UserMessageType = UserMessage['type'];

// ---------------------------------------------------------------- events

export interface EventBase extends CallbackHeader {
  kind: 'event';
  /** `EventKey` ('' when absent). */
  eventKey: string;
}

export interface SubscribeEvent extends EventBase {
  event: 'subscribe';
}
export interface UnsubscribeEvent extends EventBase {
  event: 'unsubscribe';
}
export interface EnterAgentEvent extends EventBase {
  event: 'enter_agent';
}
export interface LocationEvent extends EventBase {
  event: 'LOCATION';
  latitude: number;
  longitude: number;
  precision: number;
  appType: string;
}
export interface ClickEvent extends EventBase {
  event: 'click';
}
export interface ViewEvent extends EventBase {
  /** `eventKey` is the URL. */
  event: 'view';
}
export interface ViewMiniprogramEvent extends EventBase {
  event: 'view_miniprogram';
}
export interface ScancodeEvent extends EventBase {
  event: 'scancode_push' | 'scancode_waitmsg';
  scanType: string;
  scanResult: string;
}
export interface PicEvent extends EventBase {
  event: 'pic_sysphoto' | 'pic_photo_or_album' | 'pic_weixin';
  count: number;
  picMd5Sums: string[];
}
export interface LocationSelectEvent extends EventBase {
  event: 'location_select';
  latitude: number;
  longitude: number;
  scale: number;
  label: string;
  poiname: string;
}

interface ChangeContactBase extends EventBase {
  event: 'change_contact';
}
export interface ContactUserEvent extends ChangeContactBase {
  changeType: 'create_user' | 'update_user' | 'delete_user';
  /** `UserID` of the member concerned. */
  memberId: string;
  /** `NewUserID` (update_user, when the id changed). */
  newMemberId?: string;
  name?: string;
  /** `Department`, split on commas. */
  departments?: string[];
  mainDepartment?: string;
  position?: string;
  mobile?: string;
  gender?: string;
  email?: string;
  bizMail?: string;
  status?: string;
  avatar?: string;
  alias?: string;
  telephone?: string;
  address?: string;
}
export interface ContactPartyEvent extends ChangeContactBase {
  changeType: 'create_party' | 'update_party' | 'delete_party';
  /** `Id` of the department. */
  partyId: string;
  name?: string;
  parentId?: string;
  order?: string;
}
export interface ContactTagEvent extends ChangeContactBase {
  changeType: 'update_tag';
  tagId: string;
  addUserItems: string[];
  delUserItems: string[];
  addPartyItems: string[];
  delPartyItems: string[];
}
export type ChangeContactEvent = ContactUserEvent | ContactPartyEvent | ContactTagEvent;
export type ChangeType = ChangeContactEvent['changeType'];

export interface BatchJobResultEvent extends EventBase {
  event: 'batch_job_result';
  jobId: string;
  jobType: string;
  errCode: number;
  errMsg: string;
}

export interface TemplateCardSelection {
  questionKey: string;
  optionIds: string[];
}
export interface TemplateCardEvent extends EventBase {
  event: 'template_card_event';
  taskId: string;
  cardType: string;
  /** Single-use code for message/update_template_card (also used by update_button replies). */
  responseCode: string;
  selectedItems: TemplateCardSelection[];
}
export interface TemplateCardMenuEvent extends EventBase {
  event: 'template_card_menu_event';
  taskId: string;
  cardType: string;
  responseCode: string;
}

export type AppEvent =
  | SubscribeEvent
  | UnsubscribeEvent
  | EnterAgentEvent
  | LocationEvent
  | ClickEvent
  | ViewEvent
  | ViewMiniprogramEvent
  | ScancodeEvent
  | PicEvent
  | LocationSelectEvent
  | ChangeContactEvent
  | BatchJobResultEvent
  | TemplateCardEvent
  | TemplateCardMenuEvent
  | MoreAppEvent;
export type AppEventName = AppEvent['event'];

// ---------------------------------------------------------------- fallback

/** A message type, event or change type this package does not know. Never turned into user text. */
export interface UnknownCallback extends CallbackHeader {
  kind: 'unknown';
  /** `Event`, for events. */
  event?: string;
  /** `ChangeType`, for change_contact and the customer-contact events. */
  changeType?: string;
  /** `MsgId`, when present. */
  msgId?: string;
}

export type AppCallback = UserMessage | AppEvent | UnknownCallback;

/** The payload of each dispatch name: `text`, `event.enter_agent`, `event.change_contact.create_user`… */
export interface CallbackMap extends MoreCallbackMap {
  text: TextMessage;
  image: ImageMessage;
  voice: VoiceMessage;
  video: VideoMessage;
  location: LocationMessage;
  link: LinkMessage;
  'event.subscribe': SubscribeEvent;
  'event.unsubscribe': UnsubscribeEvent;
  'event.enter_agent': EnterAgentEvent;
  'event.LOCATION': LocationEvent;
  'event.click': ClickEvent;
  'event.view': ViewEvent;
  'event.view_miniprogram': ViewMiniprogramEvent;
  'event.scancode_push': ScancodeEvent;
  'event.scancode_waitmsg': ScancodeEvent;
  'event.pic_sysphoto': PicEvent;
  'event.pic_photo_or_album': PicEvent;
  'event.pic_weixin': PicEvent;
  'event.location_select': LocationSelectEvent;
  'event.change_contact': ChangeContactEvent;
  'event.change_contact.create_user': ContactUserEvent & { changeType: 'create_user' };
  'event.change_contact.update_user': ContactUserEvent & { changeType: 'update_user' };
  'event.change_contact.delete_user': ContactUserEvent & { changeType: 'delete_user' };
  'event.change_contact.create_party': ContactPartyEvent & { changeType: 'create_party' };
  'event.change_contact.update_party': ContactPartyEvent & { changeType: 'update_party' };
  'event.change_contact.delete_party': ContactPartyEvent & { changeType: 'delete_party' };
  'event.change_contact.update_tag': ContactTagEvent;
  'event.batch_job_result': BatchJobResultEvent;
  'event.template_card_event': TemplateCardEvent;
  'event.template_card_menu_event': TemplateCardMenuEvent;
  /** Every known user message. */
  message: UserMessage;
  /** Every known event. */
  event: AppEvent;
  /** Anything unknown (message type, event, change type). */
  unknown: UnknownCallback;
  /** Everything dispatched: messages, events and unknown callbacks. */
  callback: AppCallback;
}

export type CallbackName = keyof CallbackMap;
