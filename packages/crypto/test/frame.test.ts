/** The frame: every pad length, UTF-8 lengths, and the receiveId policy. */
import { describe, expect, it } from 'vitest';
import {
  buildFrame,
  parseFrame,
  pkcs7Pad,
  pkcs7Unpad,
  WeComCrypto,
  WeComCryptoSync,
} from '../src/index.node.ts';
import { bytes, expectCryptoError, IV_A, KEY_A, OPTIONS_A, PROVIDERS } from './helpers.ts';

const RID = OPTIONS_A.receiveId; // 18 bytes

/** A message of ASCII bytes whose frame (20 + message + receiveId) gets exactly `pad` bytes of padding. */
function messageForPad(pad: number, receiveIdLength: number, extraBlocks: number): string {
  const length = (((32 - pad - 20 - receiveIdLength) % 32) + 32) % 32;
  return 'm'.repeat(length + 32 * extraBlocks);
}

describe.each(PROVIDERS)('frame on the %s provider', (_name, provider) => {
  const codec = new WeComCrypto({ ...OPTIONS_A, provider });
  const aes = provider.createAes(KEY_A, IV_A);

  it('every pad length 1..32 round-trips, and the raw frame ends in exactly that pad', async () => {
    for (let pad = 1; pad <= 32; pad++) {
      const message = messageForPad(pad, RID.length, pad % 3);
      const encrypted = await codec.encrypt(message);
      const raw = await aes.decrypt(provider.base64Decode(encrypted));
      expect(raw.length % 32, `pad ${pad}`).toBe(0);
      expect([...raw.subarray(raw.length - pad)], `pad ${pad}`).toEqual(new Array(pad).fill(pad));
      if (pad < 32) expect(raw[raw.length - pad - 1], `pad ${pad}`).not.toBe(pad);
      expect(raw.length).toBe(20 + message.length + RID.length + pad);
      expect(await codec.decrypt(encrypted)).toEqual({ message, receiveId: RID });
    }
  });

  it('msg_len counts UTF-8 bytes: CJK, emoji, 4-byte code points, combining marks', async () => {
    for (const message of [
      '你好',
      '企业微信 WeCom',
      '😀',
      '𠀀𠀁 (CJK Ext. B)',
      '𝄞 music',
      'e\u0301',
      '\uFEFFbom',
      'a'.repeat(70_000),
    ]) {
      const encrypted = await codec.encrypt(message);
      const frame = parseFrame(pkcs7Unpad(await aes.decrypt(provider.base64Decode(encrypted))));
      expect(frame.message.length).toBe(Buffer.byteLength(message));
      expect(Buffer.from(frame.message).toString()).toBe(message);
      expect((await codec.decrypt(encrypted)).message).toBe(message);
    }
  });

  it('the empty message and a message given as bytes', async () => {
    const empty = await codec.encrypt('');
    const raw = await aes.decrypt(provider.base64Decode(empty));
    expect(raw.length).toBe(64); // 20 + 18 = 38 → padded to 64
    expect((await codec.decrypt(empty)).message).toBe('');
    expect((await codec.decrypt(await codec.encrypt(bytes('字节')))).message).toBe('字节');
  });

  it('an empty receiveId (AI bots) and a long non-ASCII receiveId', async () => {
    for (const receiveId of ['', `corp-${'长'.repeat(500)}`]) {
      const c = new WeComCrypto({ ...OPTIONS_A, receiveId, provider });
      const encrypted = await c.encrypt('hi');
      const frame = parseFrame(pkcs7Unpad(await aes.decrypt(provider.base64Decode(encrypted))));
      expect(Buffer.from(frame.receiveId).toString()).toBe(receiveId);
      expect(await c.decrypt(encrypted)).toEqual({ message: 'hi', receiveId });
    }
  });
});

describe('receiveId policy', () => {
  const sealed = (receiveId: string) => new WeComCryptoSync({ ...OPTIONS_A, receiveId }).encrypt('payload');
  const open = (receiveId?: string) => {
    const { receiveId: _drop, ...rest } = OPTIONS_A;
    return new WeComCryptoSync(receiveId === undefined ? rest : { ...rest, receiveId });
  };

  it('a configured receiveId is enforced: mismatch is receive_id_mismatch (-40005, HTTP 400)', async () => {
    for (const other of ['wx0000000000000000', '', 'wx5823bf96d3bd56c', `${RID}x`]) {
      const error = await expectCryptoError(() => open(RID).decrypt(sealed(other)), 'receive_id_mismatch');
      expect(error.errcode).toBe(-40005);
      expect(error.status).toBe(400);
    }
    expect(open(RID).decrypt(sealed(RID)).receiveId).toBe(RID);
  });

  it('an empty receiveId is enforced too', async () => {
    await expectCryptoError(() => open('').decrypt(sealed(RID)), 'receive_id_mismatch');
    expect(open('').decrypt(sealed(''))).toEqual({ message: 'payload', receiveId: '' });
  });

  it('an absent receiveId is not checked, and what the frame holds is reported', () => {
    for (const found of [RID, '', '第三方套件']) {
      expect(open().decrypt(sealed(found))).toEqual({ message: 'payload', receiveId: found });
    }
  });

  it('async codecs apply the same policy', async () => {
    const { receiveId: _drop, ...rest } = OPTIONS_A;
    for (const [, provider] of PROVIDERS) {
      await expectCryptoError(
        () => new WeComCrypto({ ...rest, receiveId: 'other', provider }).decrypt(sealed(RID)),
        'receive_id_mismatch',
      );
      expect((await new WeComCrypto({ ...rest, provider }).decrypt(sealed(RID))).receiveId).toBe(RID);
    }
  });
});

describe('frame helpers', () => {
  it('pkcs7Pad pads 1..32 and pkcs7Unpad removes exactly that', () => {
    for (let n = 0; n < 70; n++) {
      const data = new Uint8Array(n).fill(0x61);
      const padded = pkcs7Pad(data);
      const pad = 32 - (n % 32);
      expect(padded.length).toBe(n + pad);
      expect(padded[padded.length - 1]).toBe(pad);
      expect(pkcs7Unpad(padded)).toEqual(data);
    }
  });

  it('pkcs7Unpad refuses empty input, pad 0, pad > 32, pad longer than the data, and unequal pad bytes', async () => {
    const cases = [
      new Uint8Array(0),
      Uint8Array.of(1, 2, 0),
      new Uint8Array(64).fill(33),
      Uint8Array.of(5, 5, 5),
      Uint8Array.of(9, 9, 3, 4, 3),
    ];
    for (const data of cases) await expectCryptoError(() => pkcs7Unpad(data), 'invalid_buffer');
  });

  it('buildFrame writes the layout and parseFrame reads it back; a short or overlong frame is refused', async () => {
    const random = bytes('0123456789abcdef');
    const frame = buildFrame(random, bytes('msg'), bytes('rid'));
    expect(frame.length).toBe(32);
    expect([...frame.subarray(16, 20)]).toEqual([0, 0, 0, 3]);
    const parsed = parseFrame(pkcs7Unpad(frame));
    expect(Buffer.from(parsed.message).toString()).toBe('msg');
    expect(Buffer.from(parsed.receiveId).toString()).toBe('rid');
    await expectCryptoError(() => buildFrame(new Uint8Array(15), bytes('m'), bytes('')), 'encrypt_failed');
    await expectCryptoError(() => parseFrame(new Uint8Array(19)), 'invalid_buffer');
    const overlong = pkcs7Unpad(frame).slice();
    overlong[19] = 9; // declares 9 message bytes; only 6 follow
    await expectCryptoError(() => parseFrame(overlong), 'invalid_buffer');
  });
});
