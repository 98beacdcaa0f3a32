import { afterEach, describe, expect, it } from 'vitest';
import {
  type AppCallback,
  type CallbackContext,
  CallbackRouter,
  createCallbackRouter,
  type TextMessage,
} from '../src/index.js';
import { callbackFor, eventXml, listen, makeApp, post, verificationFor } from './helpers.js';
import { A1, A2, B1, B2, SET_A, SET_B } from './vectors.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

function vectorRouter(now: number): CallbackRouter {
  return new CallbackRouter({
    apps: [
      { name: 'a', ...SET_A },
      { name: 'b', ...SET_B },
    ],
    now: () => now * 1000,
  });
}

describe('official vectors', () => {
  it('A1: GET verification answers 200 with the bare plaintext', async () => {
    const router = vectorRouter(A1.timestamp);
    const out = await router.receive({ method: 'GET', url: `/wecom/callback${A1.search}` });
    expect(out.status).toBe(200);
    expect(out.body).toBe(A1.plaintext);
  });

  it('B1: GET verification (second app of the same endpoint)', async () => {
    const router = vectorRouter(B1.timestamp);
    const search = `?${new URLSearchParams(B1.query).toString()}`;
    const out = await router.receive({ method: 'GET', url: `/wecom/callback${search}` });
    expect(out).toMatchObject({ status: 200, body: B1.plaintext });
  });

  it('A2: POST is routed to app "a", typed, MsgId kept as a string above 2^53', async () => {
    const router = vectorRouter(A2.timestamp);
    const seen: { msg: TextMessage; ctx: CallbackContext<TextMessage> }[] = [];
    router.on('text', (msg, ctx) => {
      seen.push({ msg, ctx });
    });
    const out = await router.receive({ method: 'POST', url: `/wecom/callback${A2.search}`, body: A2.body });
    expect(out).toMatchObject({ status: 200, body: '' });
    expect(seen).toHaveLength(1);
    const { msg, ctx } = seen[0]!;
    expect(msg).toMatchObject({
      kind: 'message',
      type: 'text',
      content: A2.content,
      userId: A2.from,
      agentId: '218',
    });
    expect(msg.msgId).toBe(A2.msgId);
    expect(BigInt(msg.msgId) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(ctx.app.name).toBe('a');
    expect(ctx.chatId).toBe(`${SET_A.corpId}:218:${A2.from}`);
  });

  it('B2: POST with UTF-8 content and no CDATA, through handle() (fetch Request)', async () => {
    const router = vectorRouter(B2.timestamp);
    const texts: string[] = [];
    router.on('text', (msg, ctx) => {
      texts.push(`${ctx.app.name}:${msg.content}:${msg.msgId}`);
    });
    const search = `?${new URLSearchParams(B2.query).toString()}`;
    const response = await router.handle(
      new Request(`http://localhost/wecom/callback${search}`, { method: 'POST', body: B2.body }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(texts).toEqual([`b:${B2.content}:${B2.msgId}`]);
  });

  it('refuses the vectors with the real clock (timestamp window): 401, nothing dispatched', async () => {
    const router = new CallbackRouter({ apps: [{ name: 'a', ...SET_A }] });
    let dispatched = 0;
    router.on('callback', () => {
      dispatched++;
    });
    const out = await router.receive({ method: 'POST', url: `/wecom/callback${A2.search}`, body: A2.body });
    expect(out).toMatchObject({ status: 401, body: 'timestamp_out_of_window' });
    expect(dispatched).toBe(0);
  });

  it('accepts the vectors with timestampWindow: false', async () => {
    const router = new CallbackRouter({ apps: [{ name: 'a', ...SET_A }], timestampWindow: false });
    const out = await router.receive({ method: 'POST', url: `/wecom/callback${A2.search}`, body: A2.body });
    expect(out.status).toBe(200);
  });
});

describe('over a real HTTP server (toNodeListener, 127.0.0.1)', () => {
  it('official vectors A1/A2 and B1/B2 end to end', async () => {
    const seen: string[] = [];
    for (const [now, get, post2] of [
      [A2.timestamp, A1.search, { search: A2.search, body: A2.body }],
      [
        B2.timestamp,
        `?${new URLSearchParams(B1.query).toString()}`,
        { search: `?${new URLSearchParams(B2.query).toString()}`, body: B2.body },
      ],
    ] as const) {
      const router = new CallbackRouter({
        apps: [
          { name: 'a', ...SET_A },
          { name: 'b', ...SET_B },
        ],
        // B1 and B2 are 6406 s apart: no single clock fits both with a window.
        timestampWindow: false,
        now: () => now * 1000,
      });
      router.on('text', (msg, ctx) => {
        seen.push(`${ctx.app.name}:${msg.msgId}:${msg.content}`);
      });
      const server = await listen(router);
      closers.push(server.close);
      const verify = await fetch(`${server.url}/wecom/callback${get}`);
      expect(verify.status).toBe(200);
      expect(await verify.text()).toBe(now === A2.timestamp ? A1.plaintext : B1.plaintext);
      const res = await fetch(`${server.url}/wecom/callback${post2.search}`, {
        method: 'POST',
        body: post2.body,
      });
      expect(res.status).toBe(200);
    }
    expect(seen).toEqual([`a:${A2.msgId}:${A2.content}`, `b:${B2.msgId}:${B2.content}`]);
  });

  it('answers verification, callbacks, health, and unknown paths', async () => {
    const app = makeApp();
    const router = createCallbackRouter({ app, healthPath: '/health' });
    const received: string[] = [];
    router.on('text', (msg) => {
      received.push(msg.content);
    });
    const server = await listen(router);
    closers.push(server.close);

    const verify = verificationFor(app);
    const get = await fetch(`${server.url}/wecom/callback${verify.search}`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe(verify.echo);

    const cb = callbackFor(app, {
      ToUserName: app.corpId,
      FromUserName: 'lisi',
      CreateTime: Math.floor(Date.now() / 1000),
      MsgType: 'text',
      Content: 'over http',
      MsgId: 9_223_372_036_854_775_000n,
      AgentID: app.agentId,
    });
    const res = await fetch(`${server.url}/wecom/callback${cb.search}`, { method: 'POST', body: cb.body });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(received).toEqual(['over http']);

    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(router.health()).toMatchObject({ status: 200, body: '{"status":"ok"}' });

    const wrong = await fetch(`${server.url}/elsewhere`);
    expect(wrong.status).toBe(404);
  });

  it('GET verification: 403 when no app verifies, 400 when parameters are missing', async () => {
    const app = makeApp();
    const other = makeApp();
    const router = new CallbackRouter({ app });
    const server = await listen(router);
    closers.push(server.close);
    const bad = verificationFor({ ...other, corpId: app.corpId });
    expect((await fetch(`${server.url}/wecom/callback${bad.search}`)).status).toBe(403);
    expect((await fetch(`${server.url}/wecom/callback`)).status).toBe(400);
    const put = await fetch(`${server.url}/wecom/callback`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
  });
});

describe('typed messages and events', () => {
  const app = makeApp();
  const now = Math.floor(Date.now() / 1000);

  async function dispatch(message: Record<string, unknown>) {
    const router = new CallbackRouter({ app, dedupTtlMs: 1000 });
    const got: { names: string[]; callback?: AppCallback } = { names: [] };
    for (const name of [
      'text',
      'image',
      'voice',
      'video',
      'location',
      'link',
      'message',
      'event',
      'unknown',
      'callback',
      'event.enter_agent',
      'event.change_contact',
      'event.change_contact.create_user',
      'event.change_contact.update_tag',
      'event.LOCATION',
      'event.template_card_event',
      'event.pic_photo_or_album',
      'event.scancode_waitmsg',
      'event.location_select',
      'event.batch_job_result',
    ] as const) {
      const on = router.on.bind(router) as (event: string, fn: (cb: AppCallback) => void) => void;
      on(name, (cb) => {
        got.names.push(name);
        got.callback = cb;
      });
    }
    const out = await post(router, callbackFor(app, message as never));
    expect(out.status).toBe(200);
    return got;
  }

  const head = (type: string, extra: Record<string, unknown>) => ({
    ToUserName: app.corpId,
    FromUserName: 'wangwu',
    CreateTime: now,
    MsgType: type,
    ...extra,
    MsgId: 8_000_000_000_000_000_001n,
    AgentID: app.agentId,
  });

  it.each([
    ['image', { PicUrl: 'https://p/x.jpg', MediaId: 'm1' }, { picUrl: 'https://p/x.jpg', mediaId: 'm1' }],
    ['voice', { MediaId: 'm2', Format: 'amr' }, { mediaId: 'm2', format: 'amr' }],
    ['video', { MediaId: 'm3', ThumbMediaId: 't3' }, { mediaId: 'm3', thumbMediaId: 't3' }],
    [
      'location',
      { Location_X: 23.13, Location_Y: 113.26, Scale: 15, Label: 'Guangzhou', AppType: 'wxwork' },
      { latitude: 23.13, longitude: 113.26, scale: 15, label: 'Guangzhou', appType: 'wxwork' },
    ],
    [
      'link',
      { Title: 't', Description: 'd', Url: 'https://u', PicUrl: 'https://p' },
      { title: 't', description: 'd', url: 'https://u', picUrl: 'https://p' },
    ],
  ])('%s message', async (type, fields, expected) => {
    const got = await dispatch(head(type, fields));
    expect(got.names).toEqual([type, 'message', 'callback']);
    expect(got.callback).toMatchObject({ kind: 'message', type, msgId: '8000000000000000001', ...expected });
  });

  it('enter_agent event is typed and never becomes user text', async () => {
    const got = await dispatch(eventXml(app, 'enter_agent', { EventKey: '' }, { createTime: now }));
    expect(got.names).toEqual(['event.enter_agent', 'event', 'callback']);
    expect(got.callback).toMatchObject({ kind: 'event', event: 'enter_agent', eventKey: '' });
    expect(got.names).not.toContain('text');
    expect(got.names).not.toContain('message');
  });

  it('change_contact create_user from sys', async () => {
    const got = await dispatch(
      eventXml(
        app,
        'change_contact',
        {
          ChangeType: 'create_user',
          UserID: 'newbie',
          Name: '新人',
          Department: '1,2',
          Mobile: '13800000000',
        },
        { from: 'sys', createTime: now },
      ),
    );
    expect(got.names).toEqual([
      'event.change_contact.create_user',
      'event.change_contact',
      'event',
      'callback',
    ]);
    expect(got.callback).toMatchObject({
      event: 'change_contact',
      changeType: 'create_user',
      memberId: 'newbie',
      name: '新人',
      departments: ['1', '2'],
      userId: 'sys',
    });
  });

  it('change_contact update_tag', async () => {
    const got = await dispatch(
      eventXml(
        app,
        'change_contact',
        { ChangeType: 'update_tag', TagId: '7', AddUserItems: 'a,b', DelPartyItems: '3' },
        { from: 'sys', createTime: now },
      ),
    );
    expect(got.callback).toMatchObject({
      changeType: 'update_tag',
      tagId: '7',
      addUserItems: ['a', 'b'],
      delUserItems: [],
      delPartyItems: ['3'],
    });
  });

  it('LOCATION, scancode, pic, location_select, batch_job_result, template_card_event', async () => {
    expect(
      (await dispatch(eventXml(app, 'LOCATION', { Latitude: 23.1, Longitude: 113.3, Precision: 30 })))
        .callback,
    ).toMatchObject({ event: 'LOCATION', latitude: 23.1, longitude: 113.3, precision: 30 });
    expect(
      (
        await dispatch(
          eventXml(app, 'scancode_waitmsg', {
            EventKey: 'scan',
            ScanCodeInfo: { ScanType: 'qrcode', ScanResult: 'hello' },
          }),
        )
      ).callback,
    ).toMatchObject({ scanType: 'qrcode', scanResult: 'hello', eventKey: 'scan' });
    expect(
      (
        await dispatch(
          eventXml(app, 'pic_photo_or_album', {
            EventKey: 'pic',
            SendPicsInfo: { Count: 2, PicList: { item: [{ PicMd5Sum: 'aa' }, { PicMd5Sum: 'bb' }] } },
          }),
        )
      ).callback,
    ).toMatchObject({ count: 2, picMd5Sums: ['aa', 'bb'] });
    expect(
      (
        await dispatch(
          eventXml(app, 'location_select', {
            EventKey: 'loc',
            SendLocationInfo: { Location_X: 1.5, Location_Y: 2.5, Scale: 15, Label: 'L', Poiname: 'P' },
          }),
        )
      ).callback,
    ).toMatchObject({ latitude: 1.5, longitude: 2.5, label: 'L', poiname: 'P' });
    expect(
      (
        await dispatch(
          eventXml(
            app,
            'batch_job_result',
            { BatchJob: { JobId: 'j1', JobType: 'sync_user', ErrCode: 0, ErrMsg: 'ok' } },
            { from: 'sys', agentId: false },
          ),
        )
      ).callback,
    ).toMatchObject({ jobId: 'j1', jobType: 'sync_user', errCode: 0 });
    expect(
      (
        await dispatch(
          eventXml(app, 'template_card_event', {
            EventKey: 'btn',
            TaskId: 'task1',
            CardType: 'vote_interaction',
            ResponseCode: 'rc1',
            SelectedItems: {
              SelectedItem: [{ QuestionKey: 'q1', OptionIds: { OptionId: ['o1', 'o2'] } }],
            },
          }),
        )
      ).callback,
    ).toMatchObject({
      taskId: 'task1',
      responseCode: 'rc1',
      selectedItems: [{ questionKey: 'q1', optionIds: ['o1', 'o2'] }],
    });
  });

  it('approval, app-status and customer-contact events are typed, no longer "unknown"', async () => {
    for (const event of ['open_approval_change', 'share_agent_change', 'close_inactive_agent']) {
      const got = await dispatch(eventXml(app, event, { EventKey: 'x' }, { from: 'sys' }));
      expect(got.names).toEqual(['event', 'callback']);
      expect(got.callback).toMatchObject({ kind: 'event', event });
    }
    const external = await dispatch(
      eventXml(
        app,
        'change_external_contact',
        { ChangeType: 'add_external_contact', UserID: 'zhangsan', ExternalUserID: 'wm1' },
        { from: 'sys' },
      ),
    );
    expect(external.names).toEqual(['event', 'callback']);
    expect(external.callback).toMatchObject({
      kind: 'event',
      changeType: 'add_external_contact',
      memberId: 'zhangsan',
    });
  });

  it('unknown events and message types go to "unknown", never to text', async () => {
    const got = await dispatch(eventXml(app, 'hologram_event', { EventKey: 'x' }));
    expect(got.names).toEqual(['unknown', 'callback']);
    expect(got.callback).toMatchObject({ kind: 'unknown', event: 'hologram_event' });
    const weird = await dispatch(head('hologram', { Data: '…' }));
    expect(weird.names).toEqual(['unknown', 'callback']);
    expect(weird.callback).toMatchObject({
      kind: 'unknown',
      msgType: 'hologram',
      msgId: '8000000000000000001',
    });
    const change = await dispatch(
      eventXml(app, 'change_contact', { ChangeType: 'new_kind' }, { from: 'sys' }),
    );
    expect(change.names).toEqual(['unknown', 'callback']);
    expect(change.callback).toMatchObject({
      kind: 'unknown',
      event: 'change_contact',
      changeType: 'new_kind',
    });
  });
});
