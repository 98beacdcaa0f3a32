/** Parsing of the events typed in app-event-types.ts, and their dedup subjects. */
import type { XmlObject } from '@maven/wecom-crypto';
import type {
  ExternalChatEvent,
  ExternalContactChangeType,
  ExternalContactEvent,
  ExternalTagEvent,
  MoreAppEvent,
} from './app-event-types.js';
import type { AppEvent, EventBase } from './callback-types.js';
import { child, num, optional, strings, text } from './xml-fields.js';

type Base = Omit<EventBase, 'event'>;

const EXTERNAL_CONTACT: readonly string[] = [
  'add_external_contact',
  'edit_external_contact',
  'add_half_external_contact',
  'del_external_contact',
  'del_follow_user',
  'transfer_fail',
] satisfies ExternalContactChangeType[];

/** `out` with the defined, non-NaN `fields` added (optional fields stay absent otherwise). */
function assign<T extends object>(out: T, fields: { [K in keyof T]?: T[K] | undefined }): T {
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined && !(typeof v === 'number' && Number.isNaN(v)))
      (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** The event typed here, or undefined (unknown event or change type). */
export function parseMoreEvents(base: Base, raw: XmlObject, event: string): MoreAppEvent | undefined {
  switch (event) {
    case 'open_approval_change': {
      const info = child(raw, 'ApprovalInfo');
      return {
        ...base,
        event,
        thirdNo: text(info, 'ThirdNo'),
        openSpName: text(info, 'OpenSpName'),
        openTemplateId: text(info, 'OpenTemplateId'),
        openSpStatus: num(info, 'OpenSpStatus'),
        applyTime: num(info, 'ApplyTime'),
        applyUserId: text(info, 'ApplyUserId'),
        applyUserName: text(info, 'ApplyUserName'),
        applyUserParty: text(info, 'ApplyUserParty'),
        approverStep: num(info, 'ApproverStep'),
      };
    }
    case 'sys_approval_change': {
      const info = child(raw, 'ApprovalInfo');
      const applyer = child(info, 'Applyer');
      return {
        ...base,
        event,
        spNo: text(info, 'SpNoStr') || text(info, 'SpNo'),
        spName: text(info, 'SpName'),
        spStatus: num(info, 'SpStatus'),
        templateId: text(info, 'TemplateId'),
        applyTime: num(info, 'ApplyTime'),
        applyerUserId: text(applyer, 'UserId'),
        applyerParty: text(applyer, 'Party'),
        statuChangeEvent: num(info, 'StatuChangeEvent'),
      };
    }
    case 'share_agent_change':
    case 'share_chain_change':
    case 'close_inactive_agent':
    case 'reopen_inactive_agent':
    case 'change_app_admin':
      return { ...base, event };
    case 'change_external_contact': {
      const changeType = text(raw, 'ChangeType');
      if (!EXTERNAL_CONTACT.includes(changeType)) return undefined;
      return assign<ExternalContactEvent>(
        {
          ...base,
          event,
          changeType: changeType as ExternalContactChangeType,
          memberId: text(raw, 'UserID'),
          externalUserId: text(raw, 'ExternalUserID'),
        },
        {
          state: optional(raw, 'State'),
          welcomeCode: optional(raw, 'WelcomeCode'),
          source: optional(raw, 'Source'),
          failReason: optional(raw, 'FailReason'),
        },
      );
    }
    case 'change_external_chat': {
      const changeType = text(raw, 'ChangeType');
      if (changeType !== 'create' && changeType !== 'update' && changeType !== 'dismiss') return undefined;
      return assign<ExternalChatEvent>(
        {
          ...base,
          event,
          changeType,
          chatId: text(raw, 'ChatId'),
          memChangeList: strings(child(raw, 'MemChangeList'), 'Item'),
        },
        {
          updateDetail: optional(raw, 'UpdateDetail'),
          joinScene: num(raw, 'JoinScene'),
          quitScene: num(raw, 'QuitScene'),
          memChangeCnt: num(raw, 'MemChangeCnt'),
          lastMemVer: optional(raw, 'LastMemVer'),
          curMemVer: optional(raw, 'CurMemVer'),
        },
      );
    }
    case 'change_external_tag': {
      const changeType = text(raw, 'ChangeType');
      if (!['create', 'update', 'delete', 'shuffle'].includes(changeType)) return undefined;
      return assign<ExternalTagEvent>(
        {
          ...base,
          event,
          changeType: changeType as 'create' | 'update' | 'delete' | 'shuffle',
          tagId: text(raw, 'Id'),
          tagType: text(raw, 'TagType'),
        },
        { strategyId: optional(raw, 'StrategyId') },
      );
    }
    case 'kf_msg_or_event':
      return { ...base, event, token: text(raw, 'Token'), openKfId: text(raw, 'OpenKfId') };
    case 'kf_account_auth_change':
      return {
        ...base,
        event,
        authAddOpenKfIds: strings(raw, 'AuthAddOpenKfId'),
        authDelOpenKfIds: strings(raw, 'AuthDelOpenKfId'),
      };
    case 'living_status_change':
      return { ...base, event, livingId: text(raw, 'LivingId'), status: num(raw, 'Status') };
    case 'upload_media_job_finish':
      return { ...base, event, jobId: text(raw, 'JobId') };
    case 'add_schedule':
    case 'modify_schedule':
    case 'delete_schedule':
    case 'respond_schedule':
      return { ...base, event, scheduleId: text(raw, 'ScheduleId'), calId: text(raw, 'CalId') };
    case 'add_calendar':
    case 'modify_calendar':
    case 'delete_calendar':
      return { ...base, event, calId: text(raw, 'CalId') };
    case 'book_meeting_room':
    case 'cancel_meeting_room':
      return {
        ...base,
        event,
        meetingRoomId: text(raw, 'MeetingRoomId'),
        meetingId: text(raw, 'MeetingId'),
      };
    default:
      return undefined;
  }
}

/**
 * What tells two events of one type apart within the same second (the dedup key adds it after
 * `FromUserName + CreateTime + Event + EventKey`): most come from `sys` with no EventKey.
 */
export function moreSubject(callback: AppEvent): string {
  switch (callback.event) {
    case 'open_approval_change':
      return `:${callback.thirdNo}:${callback.openSpStatus}:${callback.approverStep}`;
    case 'sys_approval_change':
      return `:${callback.spNo}:${callback.spStatus}:${callback.statuChangeEvent}`;
    case 'change_external_contact':
      return `:${callback.changeType}:${callback.memberId}:${callback.externalUserId}`;
    case 'change_external_chat':
      return `:${callback.changeType}:${callback.chatId}:${callback.updateDetail ?? ''}:${callback.curMemVer ?? ''}`;
    case 'change_external_tag':
      return `:${callback.changeType}:${callback.tagType}:${callback.tagId}`;
    case 'kf_msg_or_event':
      return `:${callback.openKfId}:${callback.token}`;
    case 'kf_account_auth_change':
      return `:${callback.authAddOpenKfIds.join(',')}:${callback.authDelOpenKfIds.join(',')}`;
    case 'living_status_change':
      return `:${callback.livingId}:${callback.status}`;
    case 'upload_media_job_finish':
      return `:${callback.jobId}`;
    case 'add_schedule':
    case 'modify_schedule':
    case 'delete_schedule':
    case 'respond_schedule':
      return `:${callback.scheduleId}`;
    case 'add_calendar':
    case 'modify_calendar':
    case 'delete_calendar':
      return `:${callback.calId}`;
    case 'book_meeting_room':
    case 'cancel_meeting_room':
      return `:${callback.meetingRoomId}:${callback.meetingId}`;
    default:
      return '';
  }
}
