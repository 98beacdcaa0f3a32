import { WeComApiError, WeComConfigError } from '@maven/wecom-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contentTypeFor,
  filenameFromDisposition,
  Message,
  type OutboundMessage,
  WeComApi,
  WeComMessageError,
} from '../src/index.js';
import { type FakeWeCom, startFakeWeCom } from './fake-wecom.js';
import { makeApp } from './helpers.js';

const app = makeApp();
let wecom: FakeWeCom;
let api: WeComApi;

beforeAll(async () => {
  wecom = await startFakeWeCom({ apps: [app] });
  api = new WeComApi({
    corpId: app.corpId,
    agentId: app.agentId,
    corpSecret: app.corpSecret,
    http: { baseUrl: wecom.baseUrl, retry: { backoff: { baseMs: 1 } } },
  });
});
afterAll(async () => {
  await wecom.close();
});

const lastSend = () => wecom.calls('/cgi-bin/message/send').at(-1)!.json!;

describe('message/send', () => {
  it('joins recipients with "|", sends flags as 0/1, and returns the parsed answer', async () => {
    wecom.inject({
      path: '/cgi-bin/message/send',
      body: JSON.stringify({
        errcode: 0,
        errmsg: 'ok',
        invaliduser: 'ghost|nobody',
        invalidparty: '9',
        invalidtag: '',
        unlicenseduser: 'x',
        msgid: 'MSG-1',
      }),
    });
    const result = await api.send({
      message: Message.text('hi'),
      touser: ['zhangsan', 'ghost', 'nobody'],
      toparty: [1, 9],
      totag: '3',
      safe: true,
      enable_id_trans: false,
      enable_duplicate_check: true,
      duplicate_check_interval: 600,
    });
    expect(lastSend()).toEqual({
      touser: 'zhangsan|ghost|nobody',
      toparty: '1|9',
      totag: '3',
      agentid: app.agentId,
      msgtype: 'text',
      text: { content: 'hi' },
      safe: 1,
      enable_id_trans: 0,
      enable_duplicate_check: 1,
      duplicate_check_interval: 600,
    });
    expect(result).toEqual({
      msgid: 'MSG-1',
      msgids: ['MSG-1'],
      invaliduser: ['ghost', 'nobody'],
      invalidparty: ['9'],
      invalidtag: [],
      unlicenseduser: ['x'],
    });
  });

  it('every builder produces the documented payload', async () => {
    const card = {
      card_type: 'button_interaction' as const,
      main_title: { title: 'Approve?' },
      task_id: 'task-1',
      button_list: [{ text: 'Yes', key: 'yes' }],
    };
    const cases: [OutboundMessage, Record<string, unknown>][] = [
      [Message.markdown('**bold**'), { msgtype: 'markdown', markdown: { content: '**bold**' } }],
      [Message.image('m1'), { msgtype: 'image', image: { media_id: 'm1' } }],
      [Message.voice('m2'), { msgtype: 'voice', voice: { media_id: 'm2' } }],
      [Message.file('m3'), { msgtype: 'file', file: { media_id: 'm3' } }],
      [
        Message.video({ media_id: 'm4', title: 'T', description: 'D' }),
        { msgtype: 'video', video: { media_id: 'm4', title: 'T', description: 'D' } },
      ],
      [
        Message.textcard({
          title: 't',
          description: '<div class="gray">d</div>',
          url: 'https://u',
          btntxt: '详情',
        }),
        {
          msgtype: 'textcard',
          textcard: {
            title: 't',
            description: '<div class="gray">d</div>',
            url: 'https://u',
            btntxt: '详情',
          },
        },
      ],
      [
        Message.news([{ title: 'n', url: 'https://u', picurl: 'https://p' }]),
        { msgtype: 'news', news: { articles: [{ title: 'n', url: 'https://u', picurl: 'https://p' }] } },
      ],
      [
        Message.mpnews([{ title: 'm', thumb_media_id: 'th', content: '<p>x</p>' }]),
        {
          msgtype: 'mpnews',
          mpnews: { articles: [{ title: 'm', thumb_media_id: 'th', content: '<p>x</p>' }] },
        },
      ],
      [
        Message.miniprogramNotice({
          appid: 'wx1',
          title: 'notice',
          content_item: [{ key: 'k', value: 'v' }],
        }),
        {
          msgtype: 'miniprogram_notice',
          miniprogram_notice: { appid: 'wx1', title: 'notice', content_item: [{ key: 'k', value: 'v' }] },
        },
      ],
      [Message.templateCard(card), { msgtype: 'template_card', template_card: card }],
    ];
    for (const [message, expected] of cases) {
      const result = await api.send({ message, touser: '@all' });
      expect(lastSend()).toMatchObject({ touser: '@all', agentid: app.agentId, ...expected });
      if (message.msgtype === 'template_card') expect(result.response_code).toMatch(/^rc-/);
    }
  });

  it('builders and send check the documented limits', async () => {
    expect(() => Message.text('')).toThrow(WeComMessageError);
    expect(() =>
      Message.textcard({ title: 't', description: 'd', url: 'https://u', btntxt: 'five!' }),
    ).toThrow(/btntxt/);
    expect(() => Message.textcard({ title: 'x'.repeat(129), description: 'd', url: 'https://u' })).toThrow(
      /128/,
    );
    expect(() => Message.news([])).toThrow(/1 to 8/);
    expect(() => Message.news([{ title: 'no link' }])).toThrow(/url/);
    expect(() => Message.templateCard({ card_type: 'bogus' } as never)).toThrow(/card_type/);
    await expect(api.send({ message: Message.text('x') })).rejects.toThrow(/touser, toparty or totag/);
    await expect(api.send({ message: Message.text('x'), touser: 'a|b' })).rejects.toThrow(/must not contain/);
    await expect(
      api.send({ message: Message.text('x'), touser: Array.from({ length: 1001 }, (_, i) => `u${i}`) }),
    ).rejects.toThrow(/1000/);
    await expect(
      api.send({ message: Message.text('x'), touser: 'a', duplicate_check_interval: 99999 }),
    ).rejects.toThrow(/duplicate_check_interval/);
    await expect(api.send({ message: { msgtype: 'sms' } as never, touser: 'a' })).rejects.toThrow(/msgtype/);
    await expect(api.send({ message: Message.text('x'), touser: 'a', priority: 1 } as never)).rejects.toThrow(
      /unknown option "priority"/,
    );
  });

  it('splits long text at 2048 bytes on code-point boundaries, unless split: false', async () => {
    const emoji = '😀'.repeat(1000); // 4000 bytes, no newline
    const before = wecom.count('/cgi-bin/message/send');
    const result = await api.send({ message: Message.text(emoji), touser: 'u' });
    const parts = wecom
      .calls('/cgi-bin/message/send')
      .slice(before)
      .map((c) => (c.json!.text as { content: string }).content);
    expect(parts).toHaveLength(2);
    expect(parts.join('')).toBe(emoji);
    expect(new TextEncoder().encode(parts[0]!).length).toBe(2048);
    expect(result.msgids).toHaveLength(2);
    expect(result.msgid).toBe(result.msgids[0]);
    await api.send({ message: Message.text(emoji), touser: 'u', split: false });
    expect(wecom.count('/cgi-bin/message/send')).toBe(before + 3);
  });
});

describe('media', () => {
  it('media/upload sends multipart field "media" with the file name and a MIME type from mime', async () => {
    const bytes = new TextEncoder().encode('%PDF-1.4 fake pdf body');
    const uploaded = await api.uploadMedia({ type: 'file', data: bytes, filename: '报告.pdf' });
    expect(uploaded).toEqual({
      type: 'file',
      media_id: expect.stringMatching(/^media-/),
      created_at: '1380000000',
    });
    const call = wecom.calls('/cgi-bin/media/upload').at(-1)!;
    expect(call.query.type).toBe('file');
    expect(call.upload).toMatchObject({
      field: 'media',
      filename: '报告.pdf',
      type: 'application/pdf',
      size: bytes.length,
    });

    const voice = await api.uploadMedia({
      type: 'voice',
      data: new Uint8Array(64).fill(1),
      filename: 'hello',
      contentType: 'audio/amr',
    });
    expect(wecom.calls('/cgi-bin/media/upload').at(-1)!.upload).toMatchObject({
      filename: 'hello.amr',
      type: 'audio/amr',
    });
    expect(voice.type).toBe('voice');
    expect(contentTypeFor('clip.mp4')).toBe('video/mp4');
    expect(contentTypeFor('mystery')).toBe('application/octet-stream');
  });

  it('media/upload refuses what WeCom would refuse, before any request', async () => {
    const before = wecom.count('/cgi-bin/media/upload');
    await expect(
      api.uploadMedia({ type: 'image', data: new Uint8Array(3), filename: 'a.png' }),
    ).rejects.toThrow(/5 bytes/);
    await expect(
      api.uploadMedia({ type: 'voice', data: new Uint8Array(2 * 1024 * 1024 + 1), filename: 'a.amr' }),
    ).rejects.toThrow(/exceeds/);
    await expect(
      api.uploadMedia({ type: 'sticker' as never, data: new Uint8Array(10), filename: 'a' }),
    ).rejects.toThrow(/media type/);
    expect(wecom.count('/cgi-bin/media/upload')).toBe(before);
  });

  it('media/get returns bytes, content type and the (UTF-8) file name', async () => {
    const data = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const { media_id } = await api.uploadMedia({ type: 'image', data, filename: '截图.png' });
    const file = await api.getMedia(media_id);
    expect(file.contentType).toBe('image/png');
    expect(file.filename).toBe('截图.png');
    expect([...file.bytes]).toEqual([...data]);
  });

  it('media/get detects a JSON error body by its Content-Type and throws WeComApiError', async () => {
    const error = await api.getMedia('no-such-media').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeComApiError);
    expect((error as WeComApiError).errcode).toBe(40007);
    expect((error as WeComApiError).path).toBe('/cgi-bin/media/get');
  });

  it('media/get refreshes an expired token once', async () => {
    const { media_id } = await api.uploadMedia({
      type: 'file',
      data: new Uint8Array(10).fill(7),
      filename: 'x.bin',
    });
    const before = wecom.count('/cgi-bin/gettoken');
    wecom.expireAll();
    const file = await api.getMedia(media_id);
    expect(file.bytes.length).toBe(10);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(before + 1);
  });

  it('Content-Disposition file names', () => {
    expect(filenameFromDisposition('attachment; filename="a b.jpg"')).toBe('a b.jpg');
    expect(filenameFromDisposition("attachment; filename*=UTF-8''%E4%BD%A0%E5%A5%BD.txt")).toBe('你好.txt');
    expect(filenameFromDisposition('attachment; filename=plain.bin')).toBe('plain.bin');
    // WeCom's raw UTF-8 bytes, as a fetch Headers object shows them (one Latin-1 character per byte).
    const raw = Buffer.from('截图.png', 'utf8').toString('latin1');
    expect(filenameFromDisposition(`attachment; filename="${raw}"`)).toBe('截图.png');
    expect(filenameFromDisposition('attachment; filename="caf\u00e9.txt"')).toBe('caf\u00e9.txt');
    expect(filenameFromDisposition(null)).toBeUndefined();
  });
});

describe('recall, update_template_card, getcallbackip', () => {
  it('message/recall posts the msgid', async () => {
    await api.recall('MSG-42');
    expect(wecom.calls('/cgi-bin/message/recall').at(-1)!.json).toEqual({ msgid: 'MSG-42' });
  });

  it('message/update_template_card with a button or a whole card', async () => {
    await api.updateTemplateCard({
      response_code: 'rc',
      userids: ['u1'],
      button: { replace_name: '已处理' },
    });
    expect(wecom.calls('/cgi-bin/message/update_template_card').at(-1)!.json).toEqual({
      agentid: app.agentId,
      response_code: 'rc',
      userids: ['u1'],
      button: { replace_name: '已处理' },
    });
    await api.updateTemplateCard({
      response_code: 'rc2',
      atall: true,
      template_card: { card_type: 'text_notice', main_title: { title: 'x' } },
    });
    expect(wecom.calls('/cgi-bin/message/update_template_card').at(-1)!.json).toMatchObject({
      atall: 1,
      template_card: { card_type: 'text_notice' },
    });
    await expect(api.updateTemplateCard({ response_code: 'rc3' })).rejects.toThrow(/exactly one/);
  });

  it('getcallbackip', async () => {
    expect(await api.getCallbackIp()).toEqual(['101.226.103.0/25', '101.226.62.0/26']);
  });

  it('options are validated eagerly; the base URL is configurable', () => {
    expect(api.baseUrl).toBe(wecom.baseUrl);
    expect(() => new WeComApi({ corpId: app.corpId, agentId: 'x', corpSecret: 's' })).toThrow(
      WeComConfigError,
    );
    expect(
      () => new WeComApi({ corpId: app.corpId, agentId: 1, corpSecret: 's', http: { baseUrl: 'not a url' } }),
    ).toThrow(/baseUrl/);
    expect(JSON.stringify(api)).not.toContain(app.corpSecret);
  });
});
