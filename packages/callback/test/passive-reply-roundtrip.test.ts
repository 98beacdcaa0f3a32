import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { type PassiveReply, Reply, renderPassiveReply } from '../src/index.js';

const to = { toUser: 'zhang<san>&', corpId: 'ww]]>corp', createTime: 1348831860 };
/** Reads everything back as text: CDATA merged into the element's text, nothing trimmed or parsed. */
const reader = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  isArray: (_name, path) => path === 'xml.Articles.item',
});

/** Tricky user content: markup, entities, a CDATA terminator, surrounding spaces, CJK. */
const tricky = ' a <b>&amp; ]]> "c" \'d\' 中文 ';

const cases: [string, PassiveReply, Record<string, unknown>][] = [
  ['text', Reply.text(tricky), { Content: tricky }],
  ['image', Reply.image('MEDIA]]>1'), { Image: { MediaId: 'MEDIA]]>1' } }],
  ['voice', Reply.voice('m<2>'), { Voice: { MediaId: 'm<2>' } }],
  [
    'video',
    Reply.video({ mediaId: 'v&3', title: tricky, description: 'd]]>' }),
    { Video: { MediaId: 'v&3', Title: tricky, Description: 'd]]>' } },
  ],
  ['video without optional fields', Reply.video({ mediaId: 'v4' }), { Video: { MediaId: 'v4' } }],
  [
    'news',
    Reply.news([
      { title: tricky, description: 'x', picUrl: 'https://p/1?a=1&b=2', url: 'https://u/]]>' },
      { title: 'only a title' },
    ]),
    {
      ArticleCount: '2',
      Articles: {
        item: [
          { Title: tricky, Description: 'x', PicUrl: 'https://p/1?a=1&b=2', Url: 'https://u/]]>' },
          { Title: 'only a title' },
        ],
      },
    },
  ],
  ['update_button', Reply.updateButton('已完成 <ok>'), { Button: { ReplaceName: '已完成 <ok>' } }],
  [
    'update_template_card',
    Reply.updateTemplateCard({
      card_type: 'button_interaction',
      main_title: { title: tricky, desc: 'd' },
      task_id: 'task-1',
      button_list: [
        { text: 'A]]>', style: 1, key: 'a' },
        { text: 'B', style: 2, key: 'b' },
      ],
    }),
    {
      TemplateCard: {
        CardType: 'button_interaction',
        MainTitle: { Title: tricky, Desc: 'd' },
        TaskId: 'task-1',
        ButtonList: [
          { Text: 'A]]>', Style: '1', Key: 'a' },
          { Text: 'B', Style: '2', Key: 'b' },
        ],
      },
    },
  ],
];

describe('passive reply XML read back with fast-xml-parser', () => {
  it('covers every passive reply type', () => {
    const types = new Set(cases.map(([, reply]) => reply.type));
    expect([...types].sort()).toEqual(
      ['image', 'news', 'text', 'update_button', 'update_template_card', 'video', 'voice'].sort(),
    );
  });

  it.each(cases)('%s: what was built is what is read', (_name, reply, content) => {
    const xml = renderPassiveReply(reply, to);
    expect(reader.parse(xml)).toEqual({
      xml: {
        ToUserName: to.toUser,
        FromUserName: to.corpId,
        CreateTime: String(to.createTime),
        MsgType: reply.type,
        ...content,
      },
    });
    // User content travels only as CDATA: no element text outside a CDATA section holds markup.
    expect(xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '')).not.toMatch(/[&"']|<(?![/A-Za-z])/);
  });
});
