/** Interop with the openssl CLI (`enc -aes-256-cbc -nopad`, `sha1`), an implementation we did not write. */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WeComCrypto, WeComCryptoSync } from '../src/index.node.ts';
import { IV_A, KEY_A, OPTIONS_A, openssl, opensslSha1, PROVIDERS, pad, rawFrame } from './helpers.ts';

const MESSAGES = [
  '1616140317555161061',
  '{"msgtype":"text","text":{"content":"你好 😀"}}',
  '',
  'x'.repeat(5000),
];

/** Strips PKCS#7-32 and the frame by hand, without the codec's helpers. */
function unframe(plain: Buffer): { message: string; receiveId: string } {
  const padLength = plain[plain.length - 1]!;
  expect(padLength).toBeGreaterThanOrEqual(1);
  expect(padLength).toBeLessThanOrEqual(32);
  const body = plain.subarray(0, plain.length - padLength);
  const length = body.readUInt32BE(16);
  return {
    message: body.subarray(20, 20 + length).toString('utf8'),
    receiveId: body.subarray(20 + length).toString('utf8'),
  };
}

describe.each(PROVIDERS)('openssl interop (%s provider)', (_name, provider) => {
  const codec = new WeComCrypto({ ...OPTIONS_A, provider });

  it('our ciphertext decrypts with openssl, and unframes to the message', async () => {
    for (const message of MESSAGES) {
      const plain = openssl(Buffer.from(await codec.encrypt(message), 'base64'), KEY_A, IV_A, 'dec');
      expect(plain.length % 32).toBe(0);
      expect(unframe(plain)).toEqual({ message, receiveId: OPTIONS_A.receiveId });
    }
  });

  it('a frame built here and encrypted by openssl decrypts with our codec, signed by openssl sha1', async () => {
    for (const message of MESSAGES) {
      const frame = pad(rawFrame('openssl-random-1', Buffer.from(message), OPTIONS_A.receiveId));
      const encrypt = openssl(frame, KEY_A, IV_A, 'enc').toString('base64');
      expect(await codec.decrypt(encrypt)).toEqual({ message, receiveId: OPTIONS_A.receiveId });
      const [timestamp, nonce] = ['1409659813', '1372623149'];
      const signature = opensslSha1([OPTIONS_A.token, timestamp, nonce, encrypt].sort().join(''));
      const body = JSON.stringify({ encrypt });
      const out = await codec.decryptCallback({ signature, timestamp, nonce, body, format: 'json' });
      expect(out.message).toBe(message);
    }
  });

  it('decryptMedia: openssl-encrypted media (PKCS#7 to 32, no frame) with the bot key', async () => {
    for (const size of [0, 1, 31, 32, 1000, 100_000]) {
      const media = randomBytes(size);
      const encrypted = openssl(pad(media), KEY_A, IV_A, 'enc');
      expect(Buffer.from(await codec.decryptMedia(encrypted)).equals(media), `size ${size}`).toBe(true);
    }
  });

  it('decryptMedia: with a per-item aeskey (44-character base64 with "=")', async () => {
    const key = createHash('sha256').update('a per-item aeskey').digest(); // fixed: the wrong-key check below is deterministic
    const aeskey = key.toString('base64');
    expect(aeskey).toHaveLength(44);
    expect(aeskey.endsWith('=')).toBe(true);
    const media = Buffer.alloc(4096 + 7, 0x5a);
    const encrypted = openssl(pad(media), key, key.subarray(0, 16), 'enc');
    expect(Buffer.from(await codec.decryptMedia(encrypted, aeskey)).equals(media)).toBe(true);
    // The same key without its "=" (43 characters) works too; the bot key does not.
    expect(Buffer.from(await codec.decryptMedia(encrypted, aeskey.slice(0, 43))).equals(media)).toBe(true);
    await expect(codec.decryptMedia(encrypted)).rejects.toMatchObject({ code: 'invalid_buffer' });
  });
});

describe('openssl interop (sync codec)', () => {
  it('round trips through openssl in both directions', () => {
    const codec = new WeComCryptoSync(OPTIONS_A);
    for (const message of MESSAGES) {
      expect(
        unframe(openssl(Buffer.from(codec.encrypt(message), 'base64'), KEY_A, IV_A, 'dec')).message,
      ).toBe(message);
      const frame = pad(rawFrame('0123456789abcdef', Buffer.from(message), OPTIONS_A.receiveId));
      expect(codec.decrypt(openssl(frame, KEY_A, IV_A, 'enc').toString('base64')).message).toBe(message);
      const media = Buffer.from(message);
      expect(Buffer.from(codec.decryptMedia(openssl(pad(media), KEY_A, IV_A, 'enc'))).equals(media)).toBe(
        true,
      );
    }
  });
});
