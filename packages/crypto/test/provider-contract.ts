/**
 * The one contract every CryptoProvider must meet, run for the Node and the Web provider
 * (providers.test.ts). Known answers come from FIPS 180 / NIST SP 800-38A and the openssl CLI.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type CryptoProvider,
  nodeProvider,
  WeComCrypto,
  WeComCryptoSync,
  webProvider,
} from '../src/index.node.ts';
import { bytes, expectCryptoError, fixedRandom, hex, IV_A, KEY_A, OPTIONS_A, pad } from './helpers.ts';

const NIST = {
  key: Buffer.from('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4', 'hex'),
  iv: Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'),
  plain:
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
  cipher:
    'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b',
};

/** A fresh OpenSSL context per call: the reference every long-lived context must match. */
function reference(direction: 'enc' | 'dec', key: Uint8Array, iv: Uint8Array, data: Uint8Array): string {
  const c =
    direction === 'enc' ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]).toString('hex');
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
function pseudoRandom(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const MESSAGES = [
  '',
  'hello',
  '{"msgtype":"text","text":{"content":"你好"}}',
  '😀 emoji 𝄞 and 𠀀',
  'x'.repeat(1000),
  '中'.repeat(3000),
];

/** Feeds `data` through `stream` in chunks of `split` bytes and collects what comes out. */
export async function streamThrough(
  stream: TransformStream<Uint8Array, Uint8Array>,
  data: Uint8Array,
  split: number,
): Promise<Buffer> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < data.length; i += split) controller.enqueue(data.slice(i, i + split));
      controller.close();
    },
  });
  const chunks: Uint8Array[] = [];
  for await (const chunk of source.pipeThrough(stream) as unknown as AsyncIterable<Uint8Array>)
    chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Chunk sizes that cut blocks everywhere: single bytes, around one block, around a page. */
const SPLITS = [1, 15, 16, 17, 31, 33, 4096 + 3, 1 << 20];
/** A per-item aeskey (44 characters with its `=`), as media items of AI-bot messages carry. */
const ITEM_KEY = `${Buffer.from(pseudoRandom(99, 32)).toString('base64').slice(0, 43)}=`;

/** decryptMediaStream against decryptMedia: same bytes, same errors, for every pad and split. */
export function mediaStreamContract(name: string, provider: CryptoProvider): void {
  describe(`${name} provider: streamed media decryption`, () => {
    const codec = new WeComCrypto({ ...OPTIONS_A, provider });
    const encrypt = (plain: Uint8Array, key: Uint8Array = KEY_A) =>
      Buffer.from(reference('enc', key, key.subarray(0, 16), plain), 'hex');

    it('gives decryptMedia’s bytes for every pad 1..32, in every split', async () => {
      for (let padValue = 1; padValue <= 32; padValue++) {
        const plain = pseudoRandom(padValue, 64 + 32 - padValue);
        const encrypted = encrypt(pad(plain));
        expect(encrypted.length).toBe(96);
        const whole = hex(await codec.decryptMedia(encrypted));
        expect(whole).toBe(hex(plain));
        for (const split of SPLITS) {
          const got = await streamThrough(codec.decryptMediaStream(), encrypted, split);
          expect(hex(got), `pad ${padValue}, split ${split}`).toBe(whole);
        }
      }
      // Hundreds of streams through the Web provider: a limit that holds with files side by side.
    }, 30_000);

    it('a larger file with a per-item aeskey, in odd splits', async () => {
      const itemKey = Buffer.from(`${ITEM_KEY.slice(0, 43)}=`, 'base64');
      const plain = pseudoRandom(3, 200_000 + 7);
      const encrypted = encrypt(pad(plain), itemKey);
      const whole = hex(await codec.decryptMedia(encrypted, ITEM_KEY));
      expect(whole).toBe(hex(plain));
      for (const split of [4096 + 3, 65_536, 100_001]) {
        expect(hex(await streamThrough(codec.decryptMediaStream(ITEM_KEY), encrypted, split))).toBe(whole);
      }
      // The 43-character form of the same key.
      const short = codec.decryptMediaStream(ITEM_KEY.slice(0, 43));
      expect(hex(await streamThrough(short, encrypted, 7777))).toBe(whole);
    });

    it('errors as decryptMedia does: truncated, too short, bad pad, not bytes, bad aeskey', async () => {
      const good = encrypt(pad(pseudoRandom(8, 100)));
      for (const [data, code] of [
        [good.subarray(0, good.length - 5), 'decrypt_failed'], // truncated last block
        [good.subarray(0, 16), 'decrypt_failed'], // one AES block: shorter than a WeCom block
        [new Uint8Array(0), 'decrypt_failed'],
        [encrypt(new Uint8Array(64)), 'invalid_buffer'], // pad value 0
        [encrypt(new Uint8Array(64).fill(33)), 'invalid_buffer'], // pad value 33
        [encrypt(Buffer.concat([new Uint8Array(60), Buffer.from([1, 4, 4, 4])])), 'invalid_buffer'],
        [
          encrypt(Buffer.concat([new Uint8Array(32), new Uint8Array(32).fill(32)]).fill(31, 32, 33)),
          'invalid_buffer',
        ],
      ] as const) {
        await expectCryptoError(() => codec.decryptMedia(data), code);
        for (const split of [1, 17, 4099]) {
          await expectCryptoError(() => streamThrough(codec.decryptMediaStream(), data, split), code);
        }
      }
      const stream = codec.decryptMediaStream();
      const reading = stream.readable.getReader().read();
      const writing = stream.writable.getWriter().write('text' as unknown as Uint8Array);
      await expectCryptoError(() => writing, 'decrypt_failed');
      await expectCryptoError(() => reading, 'decrypt_failed');
      await expectCryptoError(() => codec.decryptMediaStream('short'), 'invalid_aes_key');
      await expectCryptoError(() => codec.decryptMediaStream(`${ITEM_KEY.slice(0, 43)}!`), 'invalid_aes_key');
    });
  });
}

export function providerContract(name: string, provider: CryptoProvider): void {
  mediaStreamContract(name, provider);
  const other = provider === nodeProvider ? webProvider : nodeProvider;

  describe(`${name} provider contract`, () => {
    it('has a name', () => {
      expect(provider.name).toBe(name);
    });

    it('SHA-1: FIPS 180 "abc", the empty string, and UTF-8 text (openssl sha1)', async () => {
      expect(await provider.sha1Hex('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
      expect(await provider.sha1Hex('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
      expect(await provider.sha1Hex('你好, WeCom 🚀')).toBe('3c4c897587e44eb34e077811dd837bd360d18d25');
    });

    it('SHA-1 of several parts is the SHA-1 of their concatenation, short or long', async () => {
      expect(await provider.sha1Hex('a', 'b', 'c')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
      expect(await provider.sha1Hex('你好', ', WeCom', ' 🚀')).toBe(
        '3c4c897587e44eb34e077811dd837bd360d18d25',
      );
      for (const size of [8000, 8192, 8193, 20_000]) {
        const parts = ['token', '1409659813', '中'.repeat(10), 'B'.repeat(size)];
        const expected = createHash('sha1').update(parts.join('')).digest('hex');
        expect(await provider.sha1Hex(...parts), `size ${size}`).toBe(expected);
      }
    });

    it('AES-256-CBC: NIST SP 800-38A F.2.5 and F.2.6, both directions', async () => {
      const aes = provider.createAes(NIST.key, NIST.iv);
      expect(hex(await aes.encrypt(Buffer.from(NIST.plain, 'hex')))).toBe(NIST.cipher);
      expect(hex(await aes.decrypt(Buffer.from(NIST.cipher, 'hex')))).toBe(NIST.plain);
      // A second call on the same context starts from the IV again.
      expect(hex(await aes.encrypt(Buffer.from(NIST.plain, 'hex')))).toBe(NIST.cipher);
      expect(hex(await aes.decrypt(Buffer.from(NIST.cipher, 'hex')))).toBe(NIST.plain);
    });

    it('every call starts from the IV: 400 interleaved calls of varying lengths, with failures between', async () => {
      const key = pseudoRandom(7, 32);
      const iv = pseudoRandom(11, 16);
      const aes = provider.createAes(key, iv);
      for (let i = 0; i < 400; i++) {
        const length = 16 * ((i * 7919) % 23);
        const data = pseudoRandom(i + 1, length);
        const step = i % 5;
        if (step === 0 || step === 3) {
          expect(hex(await aes.encrypt(data)), `encrypt #${i}`).toBe(reference('enc', key, iv, data));
        } else if (step === 1 || step === 4) {
          expect(hex(await aes.decrypt(data)), `decrypt #${i}`).toBe(reference('dec', key, iv, data));
        } else {
          // A partial block is refused before it reaches the context, which stays usable.
          await expectCryptoError(() => aes.encrypt(pseudoRandom(i, length + 5)), 'encrypt_failed');
          await expectCryptoError(() => aes.decrypt(pseudoRandom(i, length + 1)), 'decrypt_failed');
        }
      }
    });

    it('empty input gives empty output', async () => {
      const aes = provider.createAes(NIST.key, NIST.iv);
      expect((await aes.encrypt(new Uint8Array(0))).length).toBe(0);
      expect((await aes.decrypt(new Uint8Array(0))).length).toBe(0);
      expect(hex(await aes.encrypt(Buffer.from(NIST.plain, 'hex')))).toBe(NIST.cipher);
    });

    it('leaves the caller’s input as it was, for plain Uint8Arrays and offset views alike', async () => {
      const aes = provider.createAes(NIST.key, NIST.iv);
      const backing = new Uint8Array(96).fill(0xab);
      const view = backing.subarray(16, 80);
      const before = hex(backing);
      const encrypted = await aes.encrypt(view);
      expect(hex(backing)).toBe(before);
      expect(hex(encrypted)).toBe(reference('enc', NIST.key, NIST.iv, view));
      const decrypted = await aes.decrypt(view);
      expect(hex(backing)).toBe(before);
      expect(hex(decrypted)).toBe(reference('dec', NIST.key, NIST.iv, view));
    });

    it('random bytes: the requested length, and not repeating', () => {
      const seen = new Set<string>();
      for (const length of [8, 16, 16, 100, 2000]) {
        const r = provider.randomBytes(length);
        expect(r).toBeInstanceOf(Uint8Array);
        expect(r.length).toBe(length);
        seen.add(hex(r));
      }
      expect(seen.size).toBe(5);
    });

    it('base64 encodes like Buffer and decodes its own output, lengths 0..70', () => {
      for (let n = 0; n <= 70; n++) {
        const data = pseudoRandom(n + 3, n);
        const text = provider.base64Encode(data);
        expect(text).toBe(Buffer.from(data).toString('base64'));
        expect(hex(provider.base64Decode(text))).toBe(hex(data));
      }
    });

    it('base64Decode refuses anything but canonical standard base64', async () => {
      const bad = [
        'YQ', // no padding
        'YWJ', // length not a multiple of 4
        'Y===', // three pad characters
        'YR==', // leftover bits set (canonical is YQ==)
        'YWJ=', // leftover bits set (canonical is YWI=)
        'ab=c', // padding inside
        'YQ==YQ==', // padding, then more data
        'YW-_', // URL-safe alphabet
        'YW J', // space
        'YWJj\n', // newline
        'YWŁj', // non-ASCII (Buffer would read Ł as A)
        '😀😀', // astral characters
        '====',
      ];
      for (const text of bad) {
        await expectCryptoError(() => provider.base64Decode(text), 'decode_base64_failed');
      }
      expect(hex(provider.base64Decode(''))).toBe('');
      expect(hex(provider.base64Decode('YQ=='))).toBe('61');
      expect(hex(provider.base64Decode('+/+/'))).toBe('fbffbf');
    });

    it('utf8Decode is strict and keeps a leading BOM', async () => {
      for (const text of ['', 'plain', '你好', '😀𝄞', '\uFEFFbom first', 'null \u0000 inside']) {
        expect(provider.utf8Decode(bytes(text))).toBe(text);
      }
      for (const invalid of [
        [0xff],
        [0xc3],
        [0xe4, 0xbd],
        [0xed, 0xa0, 0x80],
        [0xc0, 0xaf],
        [0xf4, 0x90, 0x80, 0x80],
      ]) {
        await expectCryptoError(() => provider.utf8Decode(new Uint8Array(invalid)), 'invalid_buffer');
      }
    });

    it('the async codec on this provider is byte-identical to the sync codec', async () => {
      const random = fixedRandom('0123456789abcdef');
      const async = new WeComCrypto({ ...OPTIONS_A, provider, random });
      const sync = new WeComCryptoSync({ ...OPTIONS_A, random });
      for (const message of MESSAGES) {
        const encrypted = await async.encrypt(message);
        expect(encrypted).toBe(sync.encrypt(message));
        expect(await async.signature('1409659813', 'nonce', encrypted)).toBe(
          sync.signature('1409659813', 'nonce', encrypted),
        );
        expect(await async.decrypt(encrypted)).toEqual(sync.decrypt(encrypted));
        const reply = { format: 'json', timestamp: '1409659813', nonce: '1372623149' } as const;
        expect(await async.encryptReply(message, reply)).toBe(sync.encryptReply(message, reply));
      }
    });

    it(`interoperates with the ${other.name} provider in both directions`, async () => {
      const here = new WeComCrypto({ ...OPTIONS_A, provider });
      const there = new WeComCrypto({ ...OPTIONS_A, provider: other });
      for (const message of MESSAGES) {
        expect((await there.decrypt(await here.encrypt(message))).message).toBe(message);
        expect((await here.decrypt(await there.encrypt(message))).message).toBe(message);
      }
      // Media: raw AES on the other provider, PKCS#7 to 32 (1000 + 24), decrypted by this one.
      const media = pseudoRandom(5, 1000);
      const encryptedMedia = await other.createAes(KEY_A, IV_A).encrypt(pad(media));
      expect(hex(await here.decryptMedia(encryptedMedia))).toBe(hex(media));
    });
  });
}
