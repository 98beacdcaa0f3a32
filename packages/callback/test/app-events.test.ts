/**
 * Every typed event through the router, from fixtures laid out like WeCom's documented examples
 * (built by @maven/wecom-testing): the typed listener fires with the right fields, the dedup key
 * names the event's subject, and a re-delivery is a duplicate.
 */
import {
  type AppMessage,
  appAgentStatusEvent,
  appBatchJobResult,
  appCalendarEvent,
  appExternalChatChange,
  appExternalContactChange,
  appExternalTagChange,
  appKfAccountAuthChange,
  appKfMsgOrEvent,
  appLivingStatusChange,
  appMeetingRoomEvent,
  appOpenApprovalChange,
  appScheduleEvent,
  appSysApprovalChange,
  appTemplateCardMenuEvent,
  appUploadMediaJobFinish,
} from '@maven/wecom-testing';
import { describe, expect, it } from 'vitest';
import { type AppCallback, CallbackRouter, dedupKey } from '../src/index.js';
import { callbackFor, makeApp, post } from './helpers.js';

const app = makeApp();
const now = Math.floor(Date.now() / 1000);
const head = { corpId: app.corpId, agentId: app.agentId, createTime: now };

interface Case {
  fixture: AppMessage;
  /** Names expected, most specific first, before `event` and `callback`. */
  names: string[];
  fields: Record<string, unknown>;
  key: string;
}

const cases: [string, Case][] = [
  [
    'open_approval_change',
    {
      fixture: appOpenApprovalChange({
        ...head,
        thirdNo: '201806010001',
        openSpStatus: 2,
        applyUserId: 'xiaoming',
      }),
      names: ['event.open_approval_change'],
      fields: {
        thirdNo: '201806010001',
        openSpStatus: 2,
        applyUserId: 'xiaoming',
        openSpName: '付款',
        approverStep: 0,
      },
      key: `evt:sys:${now}:open_approval_change::201806010001:2:0`,
    },
  ],
  [
    'sys_approval_change',
    {
      fixture: appSysApprovalChange({
        ...head,
        spNo: '202506110001',
        spStatus: 1,
        applyerUserId: 'WuJunJie',
        statuChangeEvent: 1,
      }),
      names: ['event.sys_approval_change'],
      fields: {
        spNo: '202506110001',
        spStatus: 1,
        applyerUserId: 'WuJunJie',
        applyerParty: '1',
        statuChangeEvent: 1,
      },
      key: `evt:sys:${now}:sys_approval_change::202506110001:1:1`,
    },
  ],
  ...(
    [
      'share_agent_change',
      'share_chain_change',
      'close_inactive_agent',
      'reopen_inactive_agent',
      'change_app_admin',
    ] as const
  ).map((event): [string, Case] => [
    event,
    {
      fixture: appAgentStatusEvent(event, head),
      names: [`event.${event}`],
      fields: { event, agentId: String(app.agentId), userId: 'sys' },
      key: `evt:sys:${now}:${event}:`,
    },
  ]),
  [
    'change_external_contact add_external_contact',
    {
      fixture: appExternalContactChange({
        ...head,
        changeType: 'add_external_contact',
        memberId: 'zhangsan',
        externalUserId: 'woAJ2GCAAAXtWyujaWJHDDGi0mAAAA',
        state: 'teststate',
        welcomeCode: 'WELCOMECODE',
      }),
      names: ['event.change_external_contact.add_external_contact', 'event.change_external_contact'],
      fields: {
        changeType: 'add_external_contact',
        memberId: 'zhangsan',
        externalUserId: 'woAJ2GCAAAXtWyujaWJHDDGi0mAAAA',
        state: 'teststate',
        welcomeCode: 'WELCOMECODE',
      },
      key: `evt:sys:${now}:change_external_contact::add_external_contact:zhangsan:woAJ2GCAAAXtWyujaWJHDDGi0mAAAA`,
    },
  ],
  ...(['edit_external_contact', 'add_half_external_contact', 'del_follow_user'] as const).map(
    (changeType): [string, Case] => [
      `change_external_contact ${changeType}`,
      {
        fixture: appExternalContactChange({
          ...head,
          changeType,
          memberId: 'zhangsan',
          externalUserId: 'wm1',
        }),
        names: [`event.change_external_contact.${changeType}`, 'event.change_external_contact'],
        fields: { changeType, memberId: 'zhangsan', externalUserId: 'wm1' },
        key: `evt:sys:${now}:change_external_contact::${changeType}:zhangsan:wm1`,
      },
    ],
  ),
  [
    'change_external_contact del_external_contact',
    {
      fixture: appExternalContactChange({
        ...head,
        changeType: 'del_external_contact',
        memberId: 'zhangsan',
        externalUserId: 'wm2',
        source: 'DELETE_BY_TRANSFER',
      }),
      names: ['event.change_external_contact.del_external_contact', 'event.change_external_contact'],
      fields: { changeType: 'del_external_contact', source: 'DELETE_BY_TRANSFER' },
      key: `evt:sys:${now}:change_external_contact::del_external_contact:zhangsan:wm2`,
    },
  ],
  [
    'change_external_contact transfer_fail',
    {
      fixture: appExternalContactChange({
        ...head,
        changeType: 'transfer_fail',
        memberId: 'zhangsan',
        externalUserId: 'wm3',
        failReason: 'customer_refused',
      }),
      names: ['event.change_external_contact.transfer_fail', 'event.change_external_contact'],
      fields: { changeType: 'transfer_fail', failReason: 'customer_refused' },
      key: `evt:sys:${now}:change_external_contact::transfer_fail:zhangsan:wm3`,
    },
  ],
  [
    'change_external_chat create',
    {
      fixture: appExternalChatChange({
        ...head,
        changeType: 'create',
        chatId: 'wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA',
      }),
      names: ['event.change_external_chat.create', 'event.change_external_chat'],
      fields: { changeType: 'create', chatId: 'wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA', memChangeList: [] },
      key: `evt:sys:${now}:change_external_chat::create:wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA::`,
    },
  ],
  [
    'change_external_chat update add_member',
    {
      fixture: appExternalChatChange({
        ...head,
        changeType: 'update',
        chatId: 'wr1',
        updateDetail: 'add_member',
        joinScene: 1,
        memChangeList: ['Jack', 'Rose'],
        lastMemVer: '9c3f97c2ada667dfb5f6d03308d963e1',
        curMemVer: '71217227bbd112ecfe3a49c482195cb4',
      }),
      names: ['event.change_external_chat.update', 'event.change_external_chat'],
      fields: {
        updateDetail: 'add_member',
        joinScene: 1,
        memChangeCnt: 2,
        memChangeList: ['Jack', 'Rose'],
        curMemVer: '71217227bbd112ecfe3a49c482195cb4',
      },
      key: `evt:sys:${now}:change_external_chat::update:wr1:add_member:71217227bbd112ecfe3a49c482195cb4`,
    },
  ],
  [
    'change_external_chat dismiss',
    {
      fixture: appExternalChatChange({ ...head, changeType: 'dismiss', chatId: 'wr2' }),
      names: ['event.change_external_chat.dismiss', 'event.change_external_chat'],
      fields: { changeType: 'dismiss', chatId: 'wr2' },
      key: `evt:sys:${now}:change_external_chat::dismiss:wr2::`,
    },
  ],
  ...(['create', 'update', 'delete'] as const).map((changeType): [string, Case] => [
    `change_external_tag ${changeType}`,
    {
      fixture: appExternalTagChange({ ...head, changeType, tagId: 'etAAAA', tagType: 'tag' }),
      names: [`event.change_external_tag.${changeType}`, 'event.change_external_tag'],
      fields: { changeType, tagId: 'etAAAA', tagType: 'tag' },
      key: `evt:sys:${now}:change_external_tag::${changeType}:tag:etAAAA`,
    },
  ]),
  [
    'change_external_tag shuffle',
    {
      fixture: appExternalTagChange({ ...head, changeType: 'shuffle', tagId: 'etGROUP', strategyId: '1' }),
      names: ['event.change_external_tag.shuffle', 'event.change_external_tag'],
      fields: { changeType: 'shuffle', tagId: 'etGROUP', strategyId: '1' },
      key: `evt:sys:${now}:change_external_tag::shuffle:tag:etGROUP`,
    },
  ],
  [
    'batch_job_result',
    {
      fixture: appBatchJobResult({
        ...head,
        jobId: 'S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4',
        jobType: 'sync_user',
      }),
      names: ['event.batch_job_result'],
      fields: {
        jobId: 'S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4',
        jobType: 'sync_user',
        errCode: 0,
        errMsg: 'ok',
      },
      key: `evt:sys:${now}:batch_job_result::S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4`,
    },
  ],
  [
    'template_card_menu_event',
    {
      fixture: appTemplateCardMenuEvent({
        ...head,
        from: 'lisi',
        eventKey: 'menu-1',
        taskId: 'task-9',
        cardType: 'text_notice',
        responseCode: 'rc-9',
      }),
      names: ['event.template_card_menu_event'],
      fields: {
        userId: 'lisi',
        eventKey: 'menu-1',
        taskId: 'task-9',
        cardType: 'text_notice',
        responseCode: 'rc-9',
      },
      key: `evt:lisi:${now}:template_card_menu_event:menu-1:task-9:rc-9`,
    },
  ],
  [
    'kf_msg_or_event',
    {
      fixture: appKfMsgOrEvent({
        ...head,
        token: 'ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR',
        openKfId: 'wkxxxxxxx',
      }),
      names: ['event.kf_msg_or_event'],
      fields: { token: 'ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR', openKfId: 'wkxxxxxxx' },
      key: `evt:sys:${now}:kf_msg_or_event::wkxxxxxxx:ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR`,
    },
  ],
  [
    'kf_account_auth_change',
    {
      fixture: appKfAccountAuthChange({ ...head, add: ['wkxxxx1'], del: ['wkxxxx2', 'wkxxxx3'] }),
      names: ['event.kf_account_auth_change'],
      fields: { authAddOpenKfIds: ['wkxxxx1'], authDelOpenKfIds: ['wkxxxx2', 'wkxxxx3'] },
      key: `evt:sys:${now}:kf_account_auth_change::wkxxxx1:wkxxxx2,wkxxxx3`,
    },
  ],
  [
    'living_status_change',
    {
      fixture: appLivingStatusChange({ ...head, from: 'zhangsan', livingId: 'lvAAAA', status: 1 }),
      names: ['event.living_status_change'],
      fields: { userId: 'zhangsan', livingId: 'lvAAAA', status: 1 },
      key: `evt:zhangsan:${now}:living_status_change::lvAAAA:1`,
    },
  ],
  [
    'upload_media_job_finish',
    {
      fixture: appUploadMediaJobFinish({
        ...head,
        jobId: 'jobid_S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4',
      }),
      names: ['event.upload_media_job_finish'],
      fields: { jobId: 'jobid_S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4' },
      key: `evt:sys:${now}:upload_media_job_finish::jobid_S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4`,
    },
  ],
  ...(['add_schedule', 'modify_schedule', 'delete_schedule', 'respond_schedule'] as const).map(
    (event): [string, Case] => [
      event,
      {
        fixture: appScheduleEvent(event, {
          ...head,
          calId: 'wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA',
          scheduleId: '17c7d2bd9f20d652840f72f59e796AAA',
        }),
        names: [`event.${event}`],
        fields: { calId: 'wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA', scheduleId: '17c7d2bd9f20d652840f72f59e796AAA' },
        key: `evt:sys:${now}:${event}::17c7d2bd9f20d652840f72f59e796AAA`,
      },
    ],
  ),
  ...(['add_calendar', 'modify_calendar', 'delete_calendar'] as const).map((event): [string, Case] => [
    event,
    {
      fixture: appCalendarEvent(event, { ...head, calId: 'wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA' }),
      names: [`event.${event}`],
      fields: { calId: 'wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA' },
      key: `evt:sys:${now}:${event}::wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA`,
    },
  ]),
  ...(['book_meeting_room', 'cancel_meeting_room'] as const).map((event): [string, Case] => [
    event,
    {
      fixture: appMeetingRoomEvent(event, {
        ...head,
        meetingRoomId: '1',
        meetingId: 'wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA',
      }),
      names: [`event.${event}`],
      fields: { meetingRoomId: '1', meetingId: 'wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA' },
      key: `evt:sys:${now}:${event}::1:wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA`,
    },
  ]),
];

describe('typed app events through the router', () => {
  it.each(cases)('%s', async (_label, c) => {
    const router = new CallbackRouter({ app, dedupTtlMs: 60_000 });
    const got: { name: string; callback: AppCallback }[] = [];
    const on = router.on.bind(router) as (event: string, fn: (cb: AppCallback) => void) => void;
    for (const name of [...c.names, 'event', 'unknown', 'message', 'callback']) {
      on(name, (callback) => got.push({ name, callback }));
    }
    let duplicates = 0;
    (router.on.bind(router) as (e: string, fn: () => void) => void)('duplicate', () => duplicates++);
    const request = callbackFor(app, c.fixture);
    expect((await post(router, request)).status).toBe(200);
    expect(got.map((g) => g.name)).toEqual([...c.names, 'event', 'callback']);
    const callback = got[0]!.callback;
    expect(callback).toMatchObject({ kind: 'event', corpId: app.corpId, createTime: now, ...c.fields });
    expect(dedupKey(callback)).toBe(c.key);
    // The same callback again is acknowledged as a duplicate and not dispatched.
    expect((await post(router, request)).status).toBe(200);
    expect(duplicates).toBe(1);
    expect(got).toHaveLength(c.names.length + 2);
    await router.close({ timeoutMs: 1000 });
  });

  it('two different changes from sys in the same second are not duplicates of each other', async () => {
    const router = new CallbackRouter({ app, dedupTtlMs: 60_000 });
    const seen: string[] = [];
    router.on('event.change_external_contact', (cb) => {
      seen.push(cb.externalUserId);
    });
    for (const externalUserId of ['wmA', 'wmB']) {
      const fixture = appExternalContactChange({
        ...head,
        changeType: 'del_follow_user',
        memberId: 'zhangsan',
        externalUserId,
      });
      expect((await post(router, callbackFor(app, fixture))).status).toBe(200);
    }
    expect(seen).toEqual(['wmA', 'wmB']);
    await router.close({ timeoutMs: 1000 });
  });

  it('an unknown ChangeType of a typed event is unknown, with its event and change type', async () => {
    const router = new CallbackRouter({ app, dedupTtlMs: 60_000 });
    const unknown: AppCallback[] = [];
    router.on('unknown', (cb) => {
      unknown.push(cb);
    });
    const fixture = appExternalChatChange({ ...head, changeType: 'archive', chatId: 'wr9' });
    expect((await post(router, callbackFor(app, fixture))).status).toBe(200);
    expect(unknown).toMatchObject([
      { kind: 'unknown', event: 'change_external_chat', changeType: 'archive' },
    ]);
    await router.close({ timeoutMs: 1000 });
  });
});
