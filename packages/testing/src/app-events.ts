/**
 * Builders of self-built-app event callbacks, one per event WeCom documents, with the XML layout
 * of WeCom's examples. System events come from `sys` unless `from` says otherwise.
 */
import { type AppMessage, appEvent } from './app-messages.js';
import type { AppXmlObject } from './app-xml.js';

/** Header options; `from` defaults to `sys`. */
export interface SysEventOptions {
  /** `FromUserName`. Default `sys`. */
  from?: string;
  corpId: string;
  agentId: number | string;
  /** Seconds. Default now. */
  createTime?: number;
}

function sys(event: string, options: SysEventOptions, fields: AppXmlObject): AppMessage {
  const { from, corpId, agentId, createTime } = options;
  return appEvent(event, {
    from: from ?? 'sys',
    corpId,
    agentId,
    ...(createTime === undefined ? {} : { createTime }),
    ...fields,
  });
}

export function appOpenApprovalChange(
  options: SysEventOptions & {
    thirdNo: string;
    openSpStatus: number;
    applyUserId: string;
    openSpName?: string;
    openTemplateId?: string;
    applyTime?: number;
    applyUserName?: string;
    applyUserParty?: string;
    approverStep?: number;
  },
): AppMessage {
  return sys('open_approval_change', options, {
    ApprovalInfo: {
      ThirdNo: options.thirdNo,
      OpenSpName: options.openSpName ?? '付款',
      OpenTemplateId: options.openTemplateId ?? '1234567111',
      OpenSpStatus: options.openSpStatus,
      ApplyTime: options.applyTime ?? 1527837645,
      ApplyUserName: options.applyUserName ?? 'xiaoming',
      ApplyUserId: options.applyUserId,
      ApplyUserParty: options.applyUserParty ?? '产品部',
      ApplyUserImage: 'http://www.qq.com/xxx.png',
      ApprovalNodes: {
        ApprovalNode: {
          NodeStatus: 1,
          NodeAttr: 1,
          NodeType: 1,
          Items: { Item: { ItemName: 'xiaohong', ItemUserId: 'xiaohong', ItemStatus: 1 } },
        },
      },
      ApproverStep: options.approverStep ?? 0,
    },
  });
}

export function appSysApprovalChange(
  options: SysEventOptions & {
    spNo: string;
    spStatus: number;
    applyerUserId: string;
    statuChangeEvent: number;
    spName?: string;
    templateId?: string;
    applyTime?: number;
    applyerParty?: string;
  },
): AppMessage {
  return sys('sys_approval_change', options, {
    ApprovalInfo: {
      SpNoStr: options.spNo,
      SpNo: /^\d+$/.test(options.spNo) ? BigInt(options.spNo) : options.spNo,
      SpName: options.spName ?? '示例模板',
      SpStatus: options.spStatus,
      TemplateId: options.templateId ?? '3TkaH5KFbrG9heEQWLJjhgpFwmqAFB4dLEnapaB7aaa',
      ApplyTime: options.applyTime ?? 1571728713,
      Applyer: { UserId: options.applyerUserId, Party: options.applyerParty ?? '1' },
      SpRecord: {
        SpStatus: 1,
        ApproverAttr: 2,
        Details: { Approver: { UserId: 'WangXiaoMing' }, Speech: '', SpStatus: 1, SpTime: 0 },
      },
      StatuChangeEvent: options.statuChangeEvent,
    },
  });
}

type BareEvent =
  | 'share_agent_change'
  | 'share_chain_change'
  | 'close_inactive_agent'
  | 'reopen_inactive_agent'
  | 'change_app_admin';

/** share_agent_change, share_chain_change, close/reopen_inactive_agent, change_app_admin. */
export function appAgentStatusEvent(event: BareEvent, options: SysEventOptions): AppMessage {
  return sys(event, options, {});
}

export function appExternalContactChange(
  options: SysEventOptions & {
    changeType: string;
    memberId: string;
    externalUserId: string;
    state?: string;
    welcomeCode?: string;
    source?: string;
    failReason?: string;
  },
): AppMessage {
  return sys('change_external_contact', options, {
    ChangeType: options.changeType,
    UserID: options.memberId,
    ExternalUserID: options.externalUserId,
    State: options.state,
    WelcomeCode: options.welcomeCode,
    Source: options.source,
    FailReason: options.failReason,
  });
}

export function appExternalChatChange(
  options: SysEventOptions & {
    changeType: string;
    chatId: string;
    updateDetail?: string;
    joinScene?: number;
    quitScene?: number;
    memChangeList?: string[];
    lastMemVer?: string;
    curMemVer?: string;
  },
): AppMessage {
  const members = options.memChangeList;
  return sys('change_external_chat', options, {
    ChatId: options.chatId,
    ChangeType: options.changeType,
    UpdateDetail: options.updateDetail,
    JoinScene: options.joinScene,
    QuitScene: options.quitScene,
    MemChangeCnt: members?.length,
    MemChangeList: members === undefined ? undefined : { Item: members },
    LastMemVer: options.lastMemVer,
    CurMemVer: options.curMemVer,
  });
}

export function appExternalTagChange(
  options: SysEventOptions & { changeType: string; tagId?: string; tagType?: string; strategyId?: string },
): AppMessage {
  return sys('change_external_tag', options, {
    Id: options.tagId,
    TagType: options.tagType ?? 'tag',
    ChangeType: options.changeType,
    StrategyId: options.strategyId,
  });
}

/** kf_msg_or_event: WeCom's example has no FromUserName; this one keeps `sys` so the header parses. */
export function appKfMsgOrEvent(options: SysEventOptions & { token: string; openKfId: string }): AppMessage {
  return sys('kf_msg_or_event', options, { Token: options.token, OpenKfId: options.openKfId });
}

export function appKfAccountAuthChange(
  options: SysEventOptions & { add?: string[]; del?: string[] },
): AppMessage {
  return sys('kf_account_auth_change', options, {
    AuthAddOpenKfId: options.add ?? [],
    AuthDelOpenKfId: options.del ?? [],
  });
}

/** living_status_change comes from the member who created the live stream. */
export function appLivingStatusChange(
  options: SysEventOptions & { livingId: string; status: number },
): AppMessage {
  return sys('living_status_change', options, { LivingId: options.livingId, Status: options.status });
}

export function appUploadMediaJobFinish(options: SysEventOptions & { jobId: string }): AppMessage {
  return sys('upload_media_job_finish', options, { JobId: options.jobId });
}

export function appScheduleEvent(
  event: 'add_schedule' | 'modify_schedule' | 'delete_schedule' | 'respond_schedule',
  options: SysEventOptions & { calId: string; scheduleId: string },
): AppMessage {
  return sys(event, options, { CalId: options.calId, ScheduleId: options.scheduleId });
}

export function appCalendarEvent(
  event: 'add_calendar' | 'modify_calendar' | 'delete_calendar',
  options: SysEventOptions & { calId: string },
): AppMessage {
  return sys(event, options, { CalId: options.calId });
}

export function appMeetingRoomEvent(
  event: 'book_meeting_room' | 'cancel_meeting_room',
  options: SysEventOptions & { meetingRoomId: string; meetingId: string },
): AppMessage {
  return sys(event, options, { MeetingRoomId: options.meetingRoomId, MeetingId: options.meetingId });
}

export function appBatchJobResult(
  options: SysEventOptions & { jobId: string; jobType: string; errCode?: number; errMsg?: string },
): AppMessage {
  return sys('batch_job_result', options, {
    BatchJob: {
      JobId: options.jobId,
      JobType: options.jobType,
      ErrCode: options.errCode ?? 0,
      ErrMsg: options.errMsg ?? 'ok',
    },
  });
}

/** template_card_menu_event: the member clicked an item of a card's top-right menu. */
export function appTemplateCardMenuEvent(
  options: SysEventOptions & {
    from: string;
    eventKey: string;
    taskId: string;
    cardType: string;
    responseCode: string;
  },
): AppMessage {
  return sys('template_card_menu_event', options, {
    EventKey: options.eventKey,
    TaskId: options.taskId,
    CardType: options.cardType,
    ResponseCode: options.responseCode,
  });
}
