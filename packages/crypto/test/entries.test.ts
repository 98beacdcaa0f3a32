/** The two entry points: same API, each with its runtime's default provider. */
import { describe, expect, it } from 'vitest';
import * as node from '../src/index.node.ts';
import * as web from '../src/index.web.ts';
import { fixedRandom, OPTIONS_A } from './helpers.ts';
import { A2 } from './vectors.ts';

describe('entry points', () => {
  it('export the same names, except the Node-only ones', () => {
    const nodeOnly = ['WeComCryptoSync', 'nodeProvider'];
    expect(Object.keys(node).sort()).toEqual([...Object.keys(web), ...nodeOnly].sort());
  });

  it('default to their own provider', () => {
    expect(node.defaultProvider).toBe(node.nodeProvider);
    expect(web.defaultProvider).toBe(web.webProvider);
    expect(new node.WeComCrypto(OPTIONS_A).toJSON().provider).toBe('node');
    expect(new web.WeComCrypto(OPTIONS_A).toJSON().provider).toBe('web');
    expect(node.createWeComCrypto(OPTIONS_A)).toBeInstanceOf(node.WeComCrypto);
    expect(web.createWeComCrypto(OPTIONS_A)).toBeInstanceOf(web.WeComCrypto);
  });

  it('produce identical results', async () => {
    const random = fixedRandom(A2.random);
    const a = new node.WeComCrypto({ ...OPTIONS_A, random });
    const b = new web.WeComCrypto({ ...OPTIONS_A, random });
    const c = new node.WeComCryptoSync({ ...OPTIONS_A, random });
    expect(await a.encrypt(A2.plaintext)).toBe(A2.encrypt);
    expect(await b.encrypt(A2.plaintext)).toBe(A2.encrypt);
    expect(c.encrypt(A2.plaintext)).toBe(A2.encrypt);
    expect((await b.decryptCallback({ ...A2, format: 'xml' })).message).toBe(A2.plaintext);
  });

  it('share one error family across entries', () => {
    expect(web.WeComCryptoError).toBe(node.WeComCryptoError);
    expect(node.isWeComError(new web.WeComConfigError('x'))).toBe(true);
  });
});
