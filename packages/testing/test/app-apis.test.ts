/** The simulator's app APIs (tickets, group chats, uploadimg) and the app event builders' XML. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appExternalChatChange,
  appKfAccountAuthChange,
  appKfMsgOrEvent,
  appLivingStatusChange,
  startWeComSimulator,
  toAppMessageXml,
  type WeComSimulator,
} from '../src/index.js';

const APP = { name: 'hermes', corpId: 'ww-corp', corpSecret: 'sec-1', agentId: 1000002 };
let sim: WeComSimulator;
let token: string;

beforeEach(async () => {
  sim = await startWeComSimulator({ apps: [APP], users: ['zhangsan', 'lisi', 'wangwu'] });
  const res = await fetch(`${sim.url}/cgi-bin/gettoken?corpid=${APP.corpId}&corpsecret=${APP.corpSecret}`);
  token = ((await res.json()) as { access_token: string }).access_token;
});
afterEach(async () => {
  await sim.close();
});

const get = async (path: string, query = '') =>
  (await (await fetch(`${sim.url}/cgi-bin/${path}?access_token=${token}${query}`)).json()) as Record<
    string,
    unknown
  >;
const post = async (path: string, body: unknown) =>
  (await (
    await fetch(`${sim.url}/cgi-bin/${path}?access_token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  ).json()) as Record<string, unknown>;

describe('simulated app APIs', () => {
  it('JS-SDK tickets: ticket and expires_in; agent_config needs its type; the token is checked', async () => {
    const corp = await get('get_jsapi_ticket');
    expect(corp).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    expect(typeof corp.ticket).toBe('string');
    expect(await get('ticket/get', '&type=agent_config')).toMatchObject({ errcode: 0, expires_in: 7200 });
    expect(await get('ticket/get')).toMatchObject({ errcode: 40058 });
    const noToken = await (await fetch(`${sim.url}/cgi-bin/get_jsapi_ticket`)).json();
    expect(noToken).toMatchObject({ errcode: 41001 });
  });

  it('appchat: create, update, get, send and their errcodes', async () => {
    const created = await post('appchat/create', {
      name: 'g',
      owner: 'zhangsan',
      userlist: ['zhangsan', 'lisi'],
    });
    expect(created).toMatchObject({ errcode: 0 });
    const chatid = created.chatid as string;
    expect(await post('appchat/create', { userlist: ['zhangsan'] })).toMatchObject({ errcode: 86216 });
    expect(await post('appchat/create', { userlist: ['zhangsan', 'ghost'] })).toMatchObject({
      errcode: 60111,
    });
    expect(await post('appchat/create', { userlist: ['zhangsan', 'lisi'], chatid })).toMatchObject({
      errcode: 86215,
    });
    expect(
      await post('appchat/update', { chatid, add_user_list: ['wangwu'], owner: 'wangwu' }),
    ).toMatchObject({
      errcode: 0,
    });
    expect(await get('appchat/get', `&chatid=${chatid}`)).toMatchObject({
      errcode: 0,
      chat_info: { chatid, owner: 'wangwu', userlist: ['zhangsan', 'lisi', 'wangwu'] },
    });
    expect(await get('appchat/get', '&chatid=nope')).toMatchObject({ errcode: 86003 });
    expect(await get('appchat/get')).toMatchObject({ errcode: 86001 });
    expect(await post('appchat/send', { chatid, msgtype: 'text', text: { content: 'hi' } })).toMatchObject({
      errcode: 0,
    });
    expect(await post('appchat/send', { chatid, msgtype: 'text', text: {} })).toMatchObject({
      errcode: 44004,
    });
    expect(await post('appchat/send', { chatid, msgtype: 'template_card', template_card: {} })).toMatchObject(
      {
        errcode: 40008,
      },
    );
  });

  it('media/uploadimg: jpg/png up to 2 MB, a URL back', async () => {
    const upload = async (type: string, size: number) => {
      const form = new FormData();
      form.append('media', new Blob([new Uint8Array(size)], { type }), 'a.png');
      const res = await fetch(`${sim.url}/cgi-bin/media/uploadimg?access_token=${token}`, {
        method: 'POST',
        body: form,
      });
      return (await res.json()) as Record<string, unknown>;
    };
    expect(await upload('image/png', 100)).toMatchObject({
      errcode: 0,
      url: expect.stringMatching(/^https:/),
    });
    expect(await upload('image/gif', 100)).toMatchObject({ errcode: 40005 });
    expect(await upload('image/png', 2 * 1024 * 1024 + 1)).toMatchObject({ errcode: 45001 });
  });

  it('message/send reports non-integer party and tag ids in invalidparty / invalidtag', async () => {
    const sent = await post('message/send', {
      touser: 'zhangsan',
      toparty: '1|sales',
      totag: 'vip',
      agentid: APP.agentId,
      msgtype: 'text',
      text: { content: 'x' },
    });
    expect(sent).toMatchObject({ errcode: 0, invalidparty: 'sales', invalidtag: 'vip', unlicenseduser: '' });
  });
});

describe('app event builders follow the documented XML', () => {
  const head = { corpId: 'ww-corp', agentId: 1000002, createTime: 1348831860 };

  it('kf_msg_or_event', () => {
    expect(toAppMessageXml(appKfMsgOrEvent({ ...head, token: 'ENCA', openKfId: 'wkxxxx' }))).toBe(
      '<xml><ToUserName><![CDATA[ww-corp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>' +
        '<CreateTime>1348831860</CreateTime><MsgType><![CDATA[event]]></MsgType>' +
        '<Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[ENCA]]></Token>' +
        '<OpenKfId><![CDATA[wkxxxx]]></OpenKfId><AgentID>1000002</AgentID></xml>',
    );
  });

  it('repeated elements: MemChangeList/Item, AuthAddOpenKfId', () => {
    const chat = toAppMessageXml(
      appExternalChatChange({
        ...head,
        changeType: 'update',
        chatId: 'wr1',
        updateDetail: 'add_member',
        memChangeList: ['a', 'b'],
      }),
    );
    expect(chat).toContain(
      '<MemChangeCnt>2</MemChangeCnt><MemChangeList><Item><![CDATA[a]]></Item><Item><![CDATA[b]]></Item></MemChangeList>',
    );
    const auth = toAppMessageXml(appKfAccountAuthChange({ ...head, add: ['wk1', 'wk2'] }));
    expect(auth).toContain(
      '<AuthAddOpenKfId><![CDATA[wk1]]></AuthAddOpenKfId><AuthAddOpenKfId><![CDATA[wk2]]></AuthAddOpenKfId>',
    );
    expect(
      toAppMessageXml(appLivingStatusChange({ ...head, from: 'zhangsan', livingId: 'lv', status: 2 })),
    ).toContain('<LivingId><![CDATA[lv]]></LivingId><Status>2</Status>');
  });
});
