import { describe, expect, it } from 'vitest';
import { Reply, renderPassiveReply, WeComMessageError } from '../src/index.js';

const to = { toUser: 'zhangsan', corpId: 'wwcorp', createTime: 1348831860 };

describe('passive reply XML (PROTOCOL.md §4.4)', () => {
  it('text: the documented layout, CDATA that cannot be closed early', () => {
    expect(renderPassiveReply(Reply.text('a ]]> b'), to)).toBe(
      '<xml><ToUserName><![CDATA[zhangsan]]></ToUserName><FromUserName><![CDATA[wwcorp]]></FromUserName>' +
        '<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>' +
        '<Content><![CDATA[a ]]]]><![CDATA[> b]]></Content></xml>',
    );
  });

  it('update_button and update_template_card', () => {
    expect(renderPassiveReply(Reply.updateButton('已完成'), to)).toContain(
      '<MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName><![CDATA[已完成]]></ReplaceName></Button>',
    );
    const xml = renderPassiveReply(
      Reply.updateTemplateCard({
        card_type: 'vote_interaction',
        source: { icon_url: 'https://i', desc_color: 2 },
        checkbox: { question_key: 'q', option_list: [{ id: 'o1', text: 'A', is_checked: true }], mode: 1 },
        submit_button: { text: '提交', key: 'k' },
      }),
      to,
    );
    expect(xml).toContain(
      '<TemplateCard><CardType><![CDATA[vote_interaction]]></CardType><Source><IconUrl><![CDATA[https://i]]></IconUrl><DescColor>2</DescColor></Source>' +
        '<Checkbox><QuestionKey><![CDATA[q]]></QuestionKey><OptionList><Id><![CDATA[o1]]></Id><Text><![CDATA[A]]></Text><IsChecked>true</IsChecked></OptionList><Mode>1</Mode></Checkbox>' +
        '<SubmitButton><Text><![CDATA[提交]]></Text><Key><![CDATA[k]]></Key></SubmitButton></TemplateCard>',
    );
  });

  it('refuses what WeCom would not take', () => {
    expect(() => Reply.text('')).toThrow(WeComMessageError);
    expect(() => Reply.news([])).toThrow(/1 to 8/);
    expect(() => renderPassiveReply(Reply.text('字'.repeat(700)), to)).toThrow(/2048/);
    expect(() => Reply.updateTemplateCard({ card_type: 'nope' } as never)).toThrow(/card_type/);
    expect(() =>
      renderPassiveReply(Reply.updateTemplateCard({ card_type: 'text_notice', 'bad key': 1 } as never), to),
    ).toThrow(/element name/);
  });
});
