/**
 * Typed events beyond menus and contacts (approvals, app status, customer contact, WeChat customer
 * service, live streams, schedules…). XML fields become camelCase; ids stay strings. Each carries
 * `raw` for anything not typed here.
 */
import type { EventBase } from './callback-types.js';

/** `open_approval_change`: an approval started from the app (approval flow engine) changed. */
export interface OpenApprovalChangeEvent extends EventBase {
  event: 'open_approval_change';
  /** `ApprovalInfo.ThirdNo`: the approval number the app chose. */
  thirdNo: string;
  openSpName: string;
  openTemplateId: string;
  /** `OpenSpStatus`: 1 pending, 2 approved, 3 rejected, 4 withdrawn… */
  openSpStatus: number;
  applyTime: number;
  /** `ApplyUserId`: the applicant's UserID. */
  applyUserId: string;
  applyUserName: string;
  applyUserParty: string;
  /** `ApproverStep`: the current step. */
  approverStep: number;
}

/** `sys_approval_change`: an application in WeCom's Approval app changed. */
export interface SysApprovalChangeEvent extends EventBase {
  event: 'sys_approval_change';
  /** `SpNoStr` (or `SpNo`), as a string. */
  spNo: string;
  spName: string;
  /** `SpStatus`: 1 pending, 2 approved, 3 rejected, 4 withdrawn, 6 revoked after approval… */
  spStatus: number;
  templateId: string;
  applyTime: number;
  /** `Applyer.UserId`. */
  applyerUserId: string;
  applyerParty: string;
  /** `StatuChangeEvent`: what happened (1 submitted, 2 agreed, 3 rejected, …). */
  statuChangeEvent: number;
}

/** Events that carry nothing but the header and AgentID. */
export interface AgentStatusEvent extends EventBase {
  /**
   * `share_agent_change` (shared by the group corp), `share_chain_change` (shared upstream),
   * `close_inactive_agent` / `reopen_inactive_agent` (long unused app stopped / enabled again),
   * `change_app_admin` (the app's administrators changed).
   */
  event:
    | 'share_agent_change'
    | 'share_chain_change'
    | 'close_inactive_agent'
    | 'reopen_inactive_agent'
    | 'change_app_admin';
}

export type ExternalContactChangeType =
  | 'add_external_contact'
  | 'edit_external_contact'
  | 'add_half_external_contact'
  | 'del_external_contact'
  | 'del_follow_user'
  | 'transfer_fail';

/** `change_external_contact`: a member's customer was added, edited, deleted… */
export interface ExternalContactEvent extends EventBase {
  event: 'change_external_contact';
  changeType: ExternalContactChangeType;
  /** `UserID`: the member who serves the customer. */
  memberId: string;
  externalUserId: string;
  /** `State` of the contact-me configuration (add events). */
  state?: string;
  /** `WelcomeCode` for sending a welcome message (add events). */
  welcomeCode?: string;
  /** `Source` (del_external_contact), e.g. `DELETE_BY_TRANSFER`. */
  source?: string;
  /** `FailReason` (transfer_fail): `customer_refused` or `customer_limit_exceed`. */
  failReason?: string;
}

/** `change_external_chat`: a customer group was created, updated or dismissed. */
export interface ExternalChatEvent extends EventBase {
  event: 'change_external_chat';
  changeType: 'create' | 'update' | 'dismiss';
  chatId: string;
  /** `UpdateDetail` (update): add_member, del_member, change_owner, change_name, change_notice. */
  updateDetail?: string;
  joinScene?: number;
  quitScene?: number;
  memChangeCnt?: number;
  /** `MemChangeList.Item`: the members who joined or left. */
  memChangeList: string[];
  lastMemVer?: string;
  curMemVer?: string;
}

/** `change_external_tag`: a customer tag or tag group was created, updated, deleted or reordered. */
export interface ExternalTagEvent extends EventBase {
  event: 'change_external_tag';
  changeType: 'create' | 'update' | 'delete' | 'shuffle';
  /** `Id` of the tag or group ('' for a shuffle of every group). */
  tagId: string;
  /** `TagType`: `tag` or `tag_group`. */
  tagType: string;
  strategyId?: string;
}

/** `kf_msg_or_event`: WeChat customer service has new messages; fetch them with kf/sync_msg. */
export interface KfMsgOrEvent extends EventBase {
  event: 'kf_msg_or_event';
  /** `Token` for kf/sync_msg, valid 10 minutes. */
  token: string;
  openKfId: string;
}

/** `kf_account_auth_change`: customer service accounts were authorised to or removed from the app. */
export interface KfAccountAuthChangeEvent extends EventBase {
  event: 'kf_account_auth_change';
  authAddOpenKfIds: string[];
  authDelOpenKfIds: string[];
}

/** `living_status_change`: a live stream created through the API changed status. */
export interface LivingStatusChangeEvent extends EventBase {
  event: 'living_status_change';
  livingId: string;
  /** 0 booked, 1 live, 2 ended, 3 expired, 4 cancelled. */
  status: number;
}

/** `upload_media_job_finish`: an asynchronous media upload finished. */
export interface UploadMediaJobFinishEvent extends EventBase {
  event: 'upload_media_job_finish';
  jobId: string;
}

/**
 * Schedule events (`add_schedule`, `modify_schedule`, `delete_schedule`; `respond_schedule` when an
 * attendee accepts, tentatively accepts or declines). `userId` is the member (or the app's id).
 */
export interface ScheduleEvent extends EventBase {
  event: 'add_schedule' | 'modify_schedule' | 'delete_schedule' | 'respond_schedule';
  scheduleId: string;
  calId: string;
}

/** Calendar events (`add_calendar`, `modify_calendar`, `delete_calendar`). */
export interface CalendarEvent extends EventBase {
  event: 'add_calendar' | 'modify_calendar' | 'delete_calendar';
  calId: string;
}

/** Meeting room events (`book_meeting_room`, `cancel_meeting_room`). */
export interface MeetingRoomEvent extends EventBase {
  event: 'book_meeting_room' | 'cancel_meeting_room';
  meetingRoomId: string;
  meetingId: string;
}

export type MoreAppEvent =
  | OpenApprovalChangeEvent
  | SysApprovalChangeEvent
  | AgentStatusEvent
  | ExternalContactEvent
  | ExternalChatEvent
  | ExternalTagEvent
  | KfMsgOrEvent
  | KfAccountAuthChangeEvent
  | LivingStatusChangeEvent
  | UploadMediaJobFinishEvent
  | ScheduleEvent
  | CalendarEvent
  | MeetingRoomEvent;

/** Dispatch names of these events, `event.<Event>[.<ChangeType>]`. */
export interface MoreCallbackMap {
  'event.open_approval_change': OpenApprovalChangeEvent;
  'event.sys_approval_change': SysApprovalChangeEvent;
  'event.share_agent_change': AgentStatusEvent & { event: 'share_agent_change' };
  'event.share_chain_change': AgentStatusEvent & { event: 'share_chain_change' };
  'event.close_inactive_agent': AgentStatusEvent & { event: 'close_inactive_agent' };
  'event.reopen_inactive_agent': AgentStatusEvent & { event: 'reopen_inactive_agent' };
  'event.change_app_admin': AgentStatusEvent & { event: 'change_app_admin' };
  'event.change_external_contact': ExternalContactEvent;
  'event.change_external_contact.add_external_contact': ExternalContactEvent;
  'event.change_external_contact.edit_external_contact': ExternalContactEvent;
  'event.change_external_contact.add_half_external_contact': ExternalContactEvent;
  'event.change_external_contact.del_external_contact': ExternalContactEvent;
  'event.change_external_contact.del_follow_user': ExternalContactEvent;
  'event.change_external_contact.transfer_fail': ExternalContactEvent;
  'event.change_external_chat': ExternalChatEvent;
  'event.change_external_chat.create': ExternalChatEvent;
  'event.change_external_chat.update': ExternalChatEvent;
  'event.change_external_chat.dismiss': ExternalChatEvent;
  'event.change_external_tag': ExternalTagEvent;
  'event.change_external_tag.create': ExternalTagEvent;
  'event.change_external_tag.update': ExternalTagEvent;
  'event.change_external_tag.delete': ExternalTagEvent;
  'event.change_external_tag.shuffle': ExternalTagEvent;
  'event.kf_msg_or_event': KfMsgOrEvent;
  'event.kf_account_auth_change': KfAccountAuthChangeEvent;
  'event.living_status_change': LivingStatusChangeEvent;
  'event.upload_media_job_finish': UploadMediaJobFinishEvent;
  'event.add_schedule': ScheduleEvent;
  'event.modify_schedule': ScheduleEvent;
  'event.delete_schedule': ScheduleEvent;
  'event.respond_schedule': ScheduleEvent;
  'event.add_calendar': CalendarEvent;
  'event.modify_calendar': CalendarEvent;
  'event.delete_calendar': CalendarEvent;
  'event.book_meeting_room': MeetingRoomEvent;
  'event.cancel_meeting_room': MeetingRoomEvent;
}
