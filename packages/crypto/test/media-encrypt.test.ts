import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeEncodingAESKey,
  encryptMedia,
  nodeProvider,
  WeComCrypto,
  WeComCryptoError,
  WeComCryptoSync,
  webProvider,
} from '../src/index.node.ts';

const ENCODING_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const KEY = decodeEncodingAESKey(ENCODING_AES_KEY);
const options = { token: 'T', encodingAESKey: ENCODING_AES_KEY, receiveId: '' };

describe('encryptMedia', () => {
  it('is the inverse of decryptMedia on both providers, at every length around the block', async () => {
    const async = new WeComCrypto(options);
    const sync = new WeComCryptoSync(options);
    for (let length = 0; length < 70; length++) {
      const data = new Uint8Array(randomBytes(length));
      const viaNode = encryptMedia(data, KEY, nodeProvider);
      const viaWeb = await encryptMedia(data, KEY, webProvider);
      expect(Buffer.from(viaWeb)).toEqual(Buffer.from(viaNode));
      expect(viaNode.length % 32).toBe(0);
      expect(viaNode.length).toBeGreaterThan(length);
      expect(Buffer.from(sync.decryptMedia(viaNode))).toEqual(Buffer.from(data));
      expect(Buffer.from(await async.decryptMedia(viaWeb))).toEqual(Buffer.from(data));
    }
  });

  it('matches OpenSSL AES-256-CBC with IV = key[0..16] and PKCS#7 padding to 32', () => {
    const data = new Uint8Array(randomBytes(45));
    const encrypted = encryptMedia(data, KEY, nodeProvider);
    const decipher = createDecipheriv('aes-256-cbc', KEY, KEY.subarray(0, 16));
    decipher.setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(encrypted), decipher.final()]);
    expect(plain.subarray(0, 45)).toEqual(Buffer.from(data));
    expect([...plain.subarray(45)]).toEqual(Array(19).fill(19));
  });

  it('refuses a key that is not 32 bytes and input that is not bytes', () => {
    expect(() => encryptMedia(new Uint8Array(1), new Uint8Array(16), nodeProvider)).toThrow(WeComCryptoError);
    expect(() => encryptMedia('x' as never, KEY, nodeProvider)).toThrow(WeComCryptoError);
  });
});
