/** JS-SDK signatures for wx.config / wx.agentConfig. */
import { describe, expect, it } from 'vitest';
import { jsSdkSignature as nodeSign, WeComConfigError } from '../src/index.node.ts';
import { jsSdkSignature as webSign } from '../src/index.web.ts';
import { opensslSha1, PROVIDERS } from './helpers.ts';

/** The worked example of the official doc (developer.work.weixin.qq.com/document/path/90506). */
const DOC = {
  ticket: 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
  nonceStr: 'Wm3WZYTPz0wzccnW',
  timestamp: 1414587457,
  url: 'http://mp.weixin.qq.com?params=value',
  signature: '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
};

describe('jsSdkSignature', () => {
  it.each(PROVIDERS)('reproduces the documented example (%s provider)', async (_name, provider) => {
    expect(await nodeSign(DOC, provider)).toBe(DOC.signature);
    expect(await nodeSign({ ...DOC, timestamp: String(DOC.timestamp) }, provider)).toBe(DOC.signature);
  });

  it('each entry point defaults to its own provider and gives the same answer', async () => {
    expect(await nodeSign(DOC)).toBe(DOC.signature);
    expect(await webSign(DOC)).toBe(DOC.signature);
  });

  it('drops the URL fragment', async () => {
    expect(await nodeSign({ ...DOC, url: `${DOC.url}#/route?x=1` })).toBe(DOC.signature);
    expect(await nodeSign({ ...DOC, url: `${DOC.url}#` })).toBe(DOC.signature);
  });

  it('matches openssl sha1 over the raw (not URL-encoded) string, with non-ASCII in the URL', async () => {
    const params = {
      ticket: 'T-1',
      nonceStr: 'n0nce',
      timestamp: 1700000000,
      url: 'https://例子.cn/页?a=b&c=%20d',
    };
    const expected = opensslSha1(
      `jsapi_ticket=${params.ticket}&noncestr=${params.nonceStr}&timestamp=${params.timestamp}&url=${params.url}`,
    );
    expect(await nodeSign(params)).toBe(expected);
    expect(await webSign(params)).toBe(expected);
  });

  it('refuses missing parameters', async () => {
    for (const name of ['ticket', 'nonceStr', 'url'] as const) {
      await expect(nodeSign({ ...DOC, [name]: '' })).rejects.toBeInstanceOf(WeComConfigError);
      await expect(nodeSign({ ...DOC, [name]: undefined as unknown as string })).rejects.toThrow(name);
    }
  });
});
