import { describe, expect, it } from 'vitest';
import { WeComCrypto, webProvider } from '../src/index.node.ts';
import { A1, A2, B1, B2, SET_A, SET_B } from './vectors.ts';

const A = { token: SET_A.token, encodingAESKey: SET_A.encodingAESKey, receiveId: SET_A.receiveId };

describe.each([
  ['node', undefined],
  ['web', webProvider],
])('official vectors (%s provider)', (_name, provider) => {
  const opts = provider ? { provider } : {};
  it('A1 URL verification answers the plaintext', async () => {
    const c = new WeComCrypto({ ...A, ...opts, timestampWindow: false });
    expect(await c.verifyUrl(A1)).toBe(A1.plaintext);
  });
  it('A2 XML callback decrypts to the exact plaintext', async () => {
    const c = new WeComCrypto({ ...A, ...opts, timestampWindow: false });
    const out = await c.decryptCallback({ ...A2, format: 'xml' });
    expect(out.message).toBe(A2.plaintext);
    expect(out.envelope).toEqual({ encrypt: A2.encrypt, toUserName: SET_A.receiveId, agentId: '218' });
  });
  it('B1 and B2 (set B) verify and decrypt', async () => {
    const c = new WeComCrypto({ ...SET_B, ...opts, timestampWindow: false });
    expect(await c.verifyUrl(B1)).toBe(B1.plaintext);
    expect((await c.decryptCallback({ ...B2, format: 'xml' })).message).toBe(B2.plaintext);
  });
});
