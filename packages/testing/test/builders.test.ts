import { parseXml, WeComCrypto, WeComCryptoError } from '@maven/wecom-crypto';
import { describe, expect, it } from 'vitest';
import {
  appEvent,
  appLink,
  appLocation,
  appText,
  botEvent,
  botMixed,
  botStreamRefresh,
  botText,
  buildAppCallback,
  buildAppVerification,
  buildBotCallback,
  buildBotVerification,
  decryptAppReply,
  decryptBotReply,
  toAppMessageXml,
} from '../src/index.js';
import { A1, A2, BOT_VECTOR, OTHER, SET_A } from './vectors.js';

const bot = { token: SET_A.token, encodingAESKey: SET_A.encodingAESKey };

describe('official vector set A', () => {
  it('reproduces the A1 URL verification exactly', () => {
    const req = buildAppVerification({
      ...bot,
      corpId: SET_A.corpId,
      echo: A1.plaintext,
      timestamp: A1.timestamp,
      nonce: A1.nonce,
      random: A1.random,
    });
    expect(req.echostr).toBe(A1.echostr);
    expect(req.signature).toBe(A1.signature);
    expect(req.search).toBe(A1.search);
    expect(req.query.get('echostr')).toBe(A1.echostr);
    expect(req.echo).toBe(A1.plaintext);
  });

  it('reproduces the A2 encrypted XML callback exactly', () => {
    const req = buildAppCallback({
      ...bot,
      corpId: SET_A.corpId,
      agentId: 218,
      message: A2.plaintext,
      timestamp: Number(A2.timestamp),
      nonce: A2.nonce,
      random: A2.random,
    });
    expect(req.encrypt).toBe(A2.encrypt);
    expect(req.signature).toBe(A2.signature);
    expect(req.body).toBe(A2.body);
  });

  it('reproduces the self-generated AI-bot vector (receiveId "")', () => {
    const req = buildBotCallback({
      ...bot,
      message: BOT_VECTOR.message,
      timestamp: BOT_VECTOR.timestamp,
      nonce: BOT_VECTOR.nonce,
      random: BOT_VECTOR.random,
    });
    expect(req.body).toBe(JSON.stringify({ encrypt: BOT_VECTOR.encrypt }));
    expect(req.signature).toBe(BOT_VECTOR.signature);
    expect(req.search).toBe(
      `?msg_signature=${BOT_VECTOR.signature}&timestamp=${BOT_VECTOR.timestamp}&nonce=${BOT_VECTOR.nonce}`,
    );
  });
});

describe('round trips through the crypto package', () => {
  it('bot verification decrypts to the echo with receiveId ""', async () => {
    const req = buildBotVerification({ ...bot });
    expect(req.echo).toMatch(/^\d{19}$/);
    expect(req.search.startsWith('?msg_signature=')).toBe(true);
    const codec = new WeComCrypto({ ...bot, receiveId: '' });
    const params = new URLSearchParams(req.search);
    const plain = await codec.verifyUrl({
      signature: params.get('msg_signature'),
      timestamp: params.get('timestamp'),
      nonce: params.get('nonce'),
      echostr: params.get('echostr'),
    });
    expect(plain).toBe(req.echo);
  });

  it('bot callbacks decrypt to the message JSON and pass the timestamp window', async () => {
    const message = botText({ content: '你好 world', chattype: 'group', from: 'lisi' });
    const req = buildBotCallback({ ...bot, message });
    const codec = new WeComCrypto({ ...bot, receiveId: '' });
    const out = await codec.decryptCallback({
      signature: req.query.get('msg_signature'),
      timestamp: req.query.get('timestamp'),
      nonce: req.query.get('nonce'),
      body: req.body,
      format: 'json',
    });
    expect(JSON.parse(out.message)).toEqual(message);
    expect(out.receiveId).toBe('');
  });

  it('app callbacks carry the CorpID as receiveId and the clear ToUserName/AgentID', async () => {
    const message = appText({ content: 'hi <b>&', from: 'zhangsan', corpId: SET_A.corpId, agentId: 1000002 });
    const req = buildAppCallback({ ...bot, corpId: SET_A.corpId, agentId: 1000002, message });
    expect(req.body).toMatch(
      /^<xml><ToUserName><!\[CDATA\[wx5823bf96d3bd56c7\]\]><\/ToUserName><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt><AgentID><!\[CDATA\[1000002\]\]><\/AgentID><\/xml>$/,
    );
    const codec = new WeComCrypto({ ...bot, receiveId: SET_A.corpId });
    const out = await codec.decryptCallback({
      signature: req.query.get('msg_signature'),
      timestamp: req.query.get('timestamp'),
      nonce: req.query.get('nonce'),
      body: req.body,
      format: 'xml',
    });
    expect(out.envelope).toMatchObject({ toUserName: SET_A.corpId, agentId: '1000002' });
    const parsed = parseXml(out.message);
    expect(parsed).toMatchObject({
      MsgType: 'text',
      Content: 'hi <b>&',
      AgentID: '1000002',
      FromUserName: 'zhangsan',
    });
    expect(parsed.MsgId).toMatch(/^\d{16,20}$/);
  });

  it('signatures fail with another token', async () => {
    const req = buildBotCallback({ ...bot, message: botText({ content: 'x' }) });
    const codec = new WeComCrypto({ ...OTHER, receiveId: '' });
    await expect(
      codec.decryptCallback({
        signature: req.query.get('msg_signature'),
        timestamp: req.query.get('timestamp'),
        nonce: req.query.get('nonce'),
        body: req.body,
        format: 'json',
      }),
    ).rejects.toMatchObject({ code: 'signature_mismatch' });
  });
});

describe('option validation', () => {
  it('refuses unknown options, bad keys and bad timestamps eagerly', () => {
    expect(() => buildBotVerification({ ...bot, echostr: 'x' } as never)).toThrow(/unknown option "echostr"/);
    expect(() => buildBotVerification({ token: 't', encodingAESKey: 'short' })).toThrow(/43/);
    expect(() => buildBotCallback({ ...bot, message: 'x', timestamp: 'yesterday' })).toThrow(/timestamp/);
    expect(() => buildAppCallback({ ...bot, corpId: 'c', agentId: 'x1', message: 'x' })).toThrow(/agentId/);
    expect(() => buildBotCallback({ ...bot, message: 'x', random: 'short' })).toThrow(/16 bytes/);
  });

  it('never puts the token or key into error messages', () => {
    try {
      buildBotVerification({ token: 'secret-token-value', encodingAESKey: 'not-a-key-at-all' });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain('secret-token-value');
      expect(String(error)).not.toContain('not-a-key-at-all');
    }
  });
});

describe('message factories', () => {
  it('generate unique msgids and the documented shapes', () => {
    const a = botText({ content: 'a' });
    const b = botText({ content: 'a' });
    expect(a.msgid).not.toBe(b.msgid);
    expect(a).toMatchObject({
      msgtype: 'text',
      chattype: 'single',
      from: { userid: 'zhangsan' },
      text: { content: 'a' },
    });
    expect(a.chatid).toBeUndefined();
    const group = botText({ content: '@bot hi', chatid: 'wrc1', responseUrl: 'http://x/y' });
    expect(group).toMatchObject({ chattype: 'group', chatid: 'wrc1', response_url: 'http://x/y' });
    expect(botMixed({ items: [{ text: 'look' }, { imageUrl: 'http://img' }] }).mixed).toEqual({
      msg_item: [
        { msgtype: 'text', text: { content: 'look' } },
        { msgtype: 'image', image: { url: 'http://img' } },
      ],
    });
    expect(botStreamRefresh('s1')).toMatchObject({ msgtype: 'stream', stream: { id: 's1' } });
    const ev = botEvent('template_card_event', {
      card_type: 'button_interaction',
      event_key: 'k',
      task_id: 't',
    });
    expect(ev).toMatchObject({
      msgtype: 'event',
      event: { eventtype: 'template_card_event', template_card_event: { event_key: 'k' } },
    });
    expect(typeof ev.create_time).toBe('number');
    expect(botEvent('enter_chat').event).toEqual({ eventtype: 'enter_chat' });
  });

  it('app factories render to WeCom XML with bare numbers and CDATA text', () => {
    const msg = appText({
      content: 'a]]>b',
      from: 'u1',
      corpId: 'ww1',
      agentId: '7',
      msgId: '4561255354251345929',
      createTime: 1,
    });
    expect(toAppMessageXml(msg)).toBe(
      '<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[u1]]></FromUserName><CreateTime>1</CreateTime>' +
        '<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[a]]]]><![CDATA[>b]]></Content><MsgId>4561255354251345929</MsgId><AgentID>7</AgentID></xml>',
    );
    expect(parseXml(toAppMessageXml(msg)).Content).toBe('a]]>b');
    const a = appText({ content: 'x', from: 'u', corpId: 'c', agentId: 1 });
    const b = appText({ content: 'x', from: 'u', corpId: 'c', agentId: 1 });
    expect(a.MsgId).not.toBe(b.MsgId);
    expect(
      appLocation({ from: 'u', corpId: 'c', agentId: 1, x: 23.1, y: 113.3, label: 'here' }),
    ).toMatchObject({
      MsgType: 'location',
      Location_X: 23.1,
      AppType: 'wxwork',
    });
    expect(appLink({ from: 'u', corpId: 'c', agentId: 1, title: 't', url: 'https://x' }).MsgType).toBe(
      'link',
    );
    const ev = appEvent('click', { from: 'u', corpId: 'c', agentId: 5, EventKey: 'k1', createTime: 2 });
    expect(toAppMessageXml(ev)).toBe(
      '<xml><ToUserName><![CDATA[c]]></ToUserName><FromUserName><![CDATA[u]]></FromUserName><CreateTime>2</CreateTime>' +
        '<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[click]]></Event><EventKey><![CDATA[k1]]></EventKey><AgentID>5</AgentID></xml>',
    );
  });

  it('toAppMessageXml nests objects and repeats arrays', () => {
    const xml = toAppMessageXml({
      SendPicsInfo: { Count: 2, PicList: { item: [{ PicMd5Sum: 'a' }, { PicMd5Sum: 'b' }] } },
      Skip: undefined,
    });
    expect(xml).toBe(
      '<xml><SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum><![CDATA[a]]></PicMd5Sum></item>' +
        '<item><PicMd5Sum><![CDATA[b]]></PicMd5Sum></item></PicList></SendPicsInfo></xml>',
    );
    expect(() => toAppMessageXml({ 'bad name': 'x' })).toThrow(/element name/);
  });
});

describe('reply decoders', () => {
  it('decryptBotReply opens a reply made by the crypto package and checks the nonce', async () => {
    const codec = new WeComCrypto({ ...bot, receiveId: '' });
    const body = await codec.encryptReply(
      JSON.stringify({ msgtype: 'stream', stream: { id: 's', finish: true } }),
      {
        format: 'json',
        nonce: 'n123',
      },
    );
    expect(decryptBotReply(body, { ...bot, expectNonce: 'n123' })).toEqual({
      msgtype: 'stream',
      stream: { id: 's', finish: true },
    });
    expect(() => decryptBotReply(body, { ...bot, expectNonce: 'other' })).toThrow(WeComCryptoError);
    expect(decryptBotReply('', bot)).toBeNull();
  });

  it('decryptBotReply throws on a tampered signature, wrong key name or non-JSON', async () => {
    const codec = new WeComCrypto({ ...bot, receiveId: '' });
    const body = JSON.parse(await codec.encryptReply('{"a":1}', { format: 'json', nonce: 'n' }));
    const tampered = JSON.stringify({ ...body, msgsignature: '0'.repeat(40) });
    expect(() => decryptBotReply(tampered, bot)).toThrow(
      expect.objectContaining({ code: 'signature_mismatch' }),
    );
    const { msgsignature, ...rest } = body;
    expect(() => decryptBotReply(JSON.stringify({ ...rest, msg_signature: msgsignature }), bot)).toThrow(
      /msgsignature/,
    );
    expect(() => decryptBotReply('success', bot)).toThrow(/not JSON/);
  });

  it('decryptAppReply opens an XML reply and parses it', async () => {
    const codec = new WeComCrypto({ ...bot, receiveId: SET_A.corpId });
    const plain = toAppMessageXml({
      ToUserName: 'u',
      FromUserName: SET_A.corpId,
      CreateTime: 1,
      MsgType: 'text',
      Content: '好',
    });
    const body = await codec.encryptReply(plain, { format: 'xml' });
    const reply = decryptAppReply(body, { ...bot, corpId: SET_A.corpId });
    expect(reply?.xml).toBe(plain);
    expect(reply?.message).toMatchObject({ MsgType: 'text', Content: '好' });
    expect(decryptAppReply('', bot)).toBeNull();
    expect(decryptAppReply('success', bot)).toBeNull();
    expect(() => decryptAppReply(body, { ...bot, corpId: 'wrong' })).toThrow(
      expect.objectContaining({ code: 'receive_id_mismatch' }),
    );
  });
});
