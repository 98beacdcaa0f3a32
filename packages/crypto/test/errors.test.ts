/** Bad input: each case gets its typed error, the codec keeps working, and no error leaks a secret. */
import { createCipheriv } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  type CryptoErrorCode,
  isWeComError,
  WeComCrypto,
  WeComCryptoError,
  WeComCryptoSync,
  WeComError,
} from '../src/index.node.ts';
import { caught, expectCryptoError, IV_A, KEY_A, OPTIONS_A, PROVIDERS, pad, rawFrame } from './helpers.ts';
import { A2, A3 } from './vectors.ts';

const NOW = Number(A2.timestamp) * 1000;

/** Encrypts an arbitrary (already padded) plaintext with key A, bypassing the codec. */
function sealRaw(plain: Uint8Array): string {
  const c = createCipheriv('aes-256-cbc', KEY_A, IV_A).setAutoPadding(false);
  return Buffer.concat([c.update(plain), c.final()]).toString('base64');
}

const FRAME = rawFrame('0123456789abcdef', Buffer.from('hello'), OPTIONS_A.receiveId); // 43 bytes

/** Plaintexts that decrypt fine but must be refused after decryption. */
const BAD_PLAINTEXTS: Array<[string, Uint8Array, CryptoErrorCode]> = [
  ['pad byte 0', Buffer.concat([FRAME, Buffer.alloc(21, 0)]), 'invalid_buffer'],
  ['pad byte 33 (> 32)', Buffer.concat([FRAME, Buffer.alloc(21, 33)]), 'invalid_buffer'],
  ['pad bytes not all equal', Buffer.concat([FRAME, Buffer.alloc(20, 20), Buffer.of(21)]), 'invalid_buffer'],
  ['pad of 32 over a 32-byte frame', Buffer.concat([Buffer.alloc(32, 32)]), 'invalid_buffer'],
  [
    'absurd msg_len 0xffffffff',
    pad(Buffer.concat([Buffer.from('0123456789abcdef'), Buffer.of(255, 255, 255, 255), Buffer.from('hi')])),
    'invalid_buffer',
  ],
  [
    'msg_len one past the end',
    pad(Buffer.concat([Buffer.from('0123456789abcdef'), Buffer.of(0, 0, 0, 3), Buffer.from('hi')])),
    'invalid_buffer',
  ],
  [
    'message not UTF-8',
    pad(rawFrame('0123456789abcdef', Buffer.of(0xe4, 0xbd), OPTIONS_A.receiveId)),
    'invalid_buffer',
  ],
  ['wrong receiveId', pad(rawFrame('0123456789abcdef', Buffer.from('hi'), 'wxOTHER')), 'receive_id_mismatch'],
];

describe.each(PROVIDERS)('bad input on the %s provider', (_name, provider) => {
  const make = (extra: Partial<ConstructorParameters<typeof WeComCrypto>[0]> = {}) =>
    new WeComCrypto({ ...OPTIONS_A, provider, timestampWindow: 300, now: () => NOW, ...extra });
  const codec = make();
  /** After every failure the same instance still decrypts the official vector. */
  const stillWorks = async () => {
    expect((await codec.decryptCallback({ ...A2, format: 'xml' })).message).toBe(A2.plaintext);
  };

  it('signature: wrong, missing, empty, or for another body', async () => {
    const cases: Array<[{ signature?: string; nonce?: string }, CryptoErrorCode]> = [
      [{ signature: '0'.repeat(40) }, 'signature_mismatch'],
      [{ signature: A2.signature.toUpperCase() }, 'signature_mismatch'],
      [{ signature: A2.signature.slice(1) }, 'signature_mismatch'],
      [{ signature: '' }, 'signature_mismatch'],
      [{ nonce: '1372623148' }, 'signature_mismatch'],
      [{ nonce: '' }, 'signature_mismatch'],
    ];
    for (const [override, code] of cases) {
      const error = await expectCryptoError(
        () => codec.decryptCallback({ ...A2, ...override, format: 'xml' }),
        code,
      );
      expect(error.status).toBe(401);
      await stillWorks();
    }
    for (const missing of ['signature', 'nonce', 'timestamp'] as const) {
      for (const value of [null, undefined]) {
        const code = missing === 'timestamp' ? 'timestamp_out_of_window' : 'signature_mismatch';
        await expectCryptoError(
          () => codec.decryptCallback({ ...A2, [missing]: value, format: 'xml' }),
          code,
        );
      }
    }
    await expectCryptoError(
      () => codec.verifySignature({ ...A2, encrypt: 42 as unknown as string }),
      'parse_failed',
    );
    await stillWorks();
  });

  it('timestamp: non-numeric, outside the window (either side), the window edge, and the window disabled', async () => {
    for (const timestamp of [
      'abc',
      '14096598l3',
      '1409659813.5',
      '-1409659813',
      ' 1409659813',
      '1'.repeat(16),
    ]) {
      await expectCryptoError(() => codec.verifySignature({ ...A2, timestamp }), 'timestamp_out_of_window');
    }
    const at = (ms: number) => make({ now: () => ms }).decryptCallback({ ...A2, format: 'xml' });
    const stale = await expectCryptoError(() => at(NOW + 301_000), 'timestamp_out_of_window');
    expect(stale.errcode).toBe(-40001);
    expect(stale.status).toBe(401);
    await expectCryptoError(() => at(NOW - 301_000), 'timestamp_out_of_window');
    expect((await at(NOW + 300_000)).message).toBe(A2.plaintext);
    expect((await at(NOW - 300_000)).message).toBe(A2.plaintext);
    await expectCryptoError(
      () => make({ timestampWindow: 60, now: () => NOW + 61_000 }).decryptCallback({ ...A2, format: 'xml' }),
      'timestamp_out_of_window',
    );
    const disabled = make({ timestampWindow: false, now: () => NOW + 10 * 365 * 86_400_000 });
    expect((await disabled.decryptCallback({ ...A2, format: 'xml' })).message).toBe(A2.plaintext);
    // Real clock: a 2014 timestamp is far outside the default window.
    const realClock = new WeComCrypto({
      token: OPTIONS_A.token,
      encodingAESKey: OPTIONS_A.encodingAESKey,
      provider,
    });
    await expectCryptoError(
      () => realClock.decryptCallback({ ...A2, format: 'xml' }),
      'timestamp_out_of_window',
    );
    await stillWorks();
  });

  it('base64: invalid characters, wrong length, URL-safe alphabet', async () => {
    for (const encrypt of [
      `${A2.encrypt.slice(0, -4)}!!==`,
      A2.encrypt.slice(0, -1),
      A2.encrypt.replaceAll('+', '-').replaceAll('/', '_'),
      `${A2.encrypt}\n`,
      `%${A2.encrypt.slice(1)}`,
    ]) {
      const error = await expectCryptoError(() => codec.decrypt(encrypt), 'decode_base64_failed');
      expect(error.errcode).toBe(-40010);
      await stillWorks();
    }
    await expectCryptoError(() => codec.decrypt(7 as unknown as string), 'decode_base64_failed');
  });

  it('ciphertext: empty, shorter than a block, not whole AES blocks, or truncated', async () => {
    const bytes = Buffer.from(A2.encrypt, 'base64');
    for (const data of [
      Buffer.alloc(0),
      bytes.subarray(0, 16),
      bytes.subarray(0, 40),
      bytes.subarray(0, 33),
    ]) {
      const error = await expectCryptoError(() => codec.decrypt(data.toString('base64')), 'decrypt_failed');
      expect(error.errcode).toBe(-40007);
      await stillWorks();
    }
    // Whole blocks but the tail cut off: the padding no longer checks out.
    await expectCryptoError(() => codec.decrypt(bytes.subarray(0, 320).toString('base64')), 'invalid_buffer');
    await stillWorks();
  });

  it.each(BAD_PLAINTEXTS)('decrypted frame: %s', async (_case, plain, code) => {
    expect(plain.length % 32).toBe(0);
    const error = await expectCryptoError(() => codec.decrypt(sealRaw(plain)), code);
    expect(error.status).toBe(400);
    await stillWorks();
  });

  it('callbacks: missing echostr, unknown format', async () => {
    for (const echostr of [undefined, null, '']) {
      await expectCryptoError(() => codec.verifyUrl({ ...A2, echostr }), 'parse_failed');
    }
    await expectCryptoError(() => codec.decryptCallback({ ...A2, format: 'yaml' as 'xml' }), 'parse_failed');
    await expectCryptoError(() => codec.encryptReply('x', { format: 'yaml' as 'xml' }), 'gen_return_failed');
    await stillWorks();
  });

  it('encrypt: a message that is neither text nor bytes, a random source of the wrong size', async () => {
    await expectCryptoError(() => codec.encrypt(42 as unknown as string), 'encrypt_failed');
    await expectCryptoError(
      () => make({ random: (n) => new Uint8Array(n - 1) }).encrypt('x'),
      'encrypt_failed',
    );
    await stillWorks();
  });

  it('media: not bytes, not whole blocks, bad padding, bad per-item aeskey', async () => {
    const good = Buffer.from(A3.encrypt, 'base64');
    await expectCryptoError(() => codec.decryptMedia('abc' as unknown as Uint8Array), 'decrypt_failed');
    await expectCryptoError(() => codec.decryptMedia(good.subarray(0, 40)), 'decrypt_failed');
    await expectCryptoError(
      () => codec.decryptMedia(Buffer.from(sealRaw(Buffer.alloc(64, 0)), 'base64')),
      'invalid_buffer',
    );
    for (const aeskey of [
      'short',
      `${'a'.repeat(43)}==`,
      `${'a'.repeat(42)}!=`,
      'a'.repeat(44),
      42 as unknown as string,
    ]) {
      const error = await expectCryptoError(() => codec.decryptMedia(good, aeskey), 'invalid_aes_key');
      expect(error.errcode).toBe(-40004);
    }
    await stillWorks();
  });
});

describe.each([
  ['JSON', 'json'],
  ['XML', 'xml'],
] as const)('%s bodies that are refused', (_name, format) => {
  const codec = new WeComCryptoSync({ ...OPTIONS_A, maxBodyLength: 4096 });
  const refused: Record<typeof format, Array<[string, string]>> = {
    json: [
      ['empty', ''],
      ['not JSON', 'not json'],
      ['an empty array', '[]'],
      ['an array holding the ciphertext', `["${A3.encrypt}"]`],
      ['null', 'null'],
      ['a number', '42'],
      ['a string', '"encrypt"'],
      ['an empty object', '{}'],
      ['an empty encrypt', '{"encrypt":""}'],
      ['a numeric encrypt', '{"encrypt":42}'],
      ['a null encrypt', '{"encrypt":null}'],
      ['no encrypt key', '{"tousername":"x"}'],
      ['encrypt only under __proto__', `{"__proto__":{"encrypt":"${A3.encrypt}"}}`],
      [
        'encrypt only under constructor.prototype',
        `{"constructor":{"prototype":{"encrypt":"${A3.encrypt}"}}}`,
      ],
      ['a body over maxBodyLength', `{"encrypt":"${'A'.repeat(5000)}"}`],
    ],
    xml: [
      ['empty', ''],
      ['not XML', 'not xml'],
      ['unclosed', '<xml>'],
      ['another root', '<notxml><Encrypt>x</Encrypt></notxml>'],
      ['an empty root', '<xml></xml>'],
      ['an empty Encrypt', '<xml><Encrypt></Encrypt></xml>'],
      ['two Encrypt elements', '<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt></xml>'],
      ['Encrypt with children', '<xml><Encrypt><x>nested</x></Encrypt></xml>'],
      ['a __proto__ element', '<xml><__proto__><Encrypt>x</Encrypt></__proto__></xml>'],
      [
        'billion laughs (DOCTYPE + ENTITY)',
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><xml><Encrypt>&lol2;</Encrypt></xml>',
      ],
      [
        'an external entity (XXE)',
        '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Encrypt>&xxe;</Encrypt></xml>',
      ],
      ['an ENTITY without DOCTYPE', '<xml><!ENTITY x "y"><Encrypt>x</Encrypt></xml>'],
      ['a body over maxBodyLength', `<xml><Encrypt><![CDATA[${'A'.repeat(5000)}]]></Encrypt></xml>`],
    ],
  };

  it.each(refused[format])('%s', async (_case, body) => {
    await expectCryptoError(() => codec.decryptCallback({ ...A2, body, format }), 'parse_failed');
    // The prototype of every object stays clean.
    expect(({} as Record<string, unknown>).encrypt).toBeUndefined();
  });

  it('accepts the default cap and refuses above it', async () => {
    const big = new WeComCryptoSync(OPTIONS_A);
    const size = format === 'json' ? 1024 * 1024 : 64 * 1024;
    const body =
      format === 'json'
        ? `{"encrypt":"${'A'.repeat(size)}"}`
        : `<xml><Encrypt>${'A'.repeat(size)}</Encrypt></xml>`;
    const error = await expectCryptoError(() => big.decryptCallback({ ...A2, body, format }), 'parse_failed');
    expect(error.message).toMatch(/too large|exceeds/);
  });
});

describe('no secret in any error, nor in the codec when logged', () => {
  const token = 'SecretTokenValue42';
  const encodingAESKey = 'kSecretKeyMaterialZZZ0123456789abcdefghijkl';
  const plaintext = 'TOP-SECRET-PLAINTEXT-正文';
  const secrets = [
    token,
    encodingAESKey,
    plaintext,
    Buffer.from(`${encodingAESKey}=`, 'base64').toString('hex'),
  ];

  function expectClean(value: string, where: string): void {
    for (const secret of secrets) expect(value, where).not.toContain(secret);
  }

  it('errors of every kind carry neither token, key nor plaintext', async () => {
    const errors: unknown[] = [];
    for (const [, provider] of PROVIDERS) {
      const codec = new WeComCrypto({ token, encodingAESKey, receiveId: 'corp', provider, now: () => 1e12 });
      const other = new WeComCryptoSync({ token, encodingAESKey, receiveId: 'other' });
      const encrypt = other.encrypt(plaintext);
      const signature = other.signature('1', 'n', encrypt);
      const attempts: Array<() => unknown> = [
        () => codec.decrypt(encrypt), // receiveId mismatch after a successful decryption
        () => codec.verifySignature({ signature, timestamp: '1', nonce: 'n', encrypt }), // stale
        () => codec.verifySignature({ signature: 'x', timestamp: '1', nonce: 'n', encrypt }),
        () => codec.decrypt(`${encrypt.slice(1)}`),
        () =>
          codec.decryptCallback({ signature, timestamp: '1', nonce: 'n', body: plaintext, format: 'json' }),
        () =>
          codec.decryptCallback({
            signature,
            timestamp: '1',
            nonce: 'n',
            body: `<x>${plaintext}`,
            format: 'xml',
          }),
        () => codec.decryptMedia(Buffer.from(encrypt, 'base64'), `${encodingAESKey}!`),
        () => new WeComCrypto({ token, encodingAESKey: encodingAESKey.slice(1), provider }),
        () => new WeComCrypto({ token, encodingAESKey: `${encodingAESKey.slice(1)}!`, provider }),
        () => new WeComCrypto({ token, encodingAESKey, tokn: token, receiveID: plaintext } as never),
      ];
      for (const [i, attempt] of attempts.entries()) {
        const error = await caught(attempt).catch(() => expect.fail(`attempt ${i} did not fail`));
        errors.push(error);
      }
    }
    expect(errors).toHaveLength(20);
    for (const error of errors) {
      expect(error).toBeInstanceOf(Error);
      const e = error as Error;
      expect(e.name).toMatch(/^WeCom(Crypto|Config)Error$/);
      expectClean(e.message, 'message');
      expectClean(String(e), 'String(err)');
      expectClean(JSON.stringify(e), 'JSON.stringify(err)');
      expectClean(inspect(e, { depth: 10 }), 'inspect(err)');
    }
  });

  it('JSON.stringify and util.inspect of a codec show no token or key', () => {
    for (const codec of [
      new WeComCryptoSync({ token, encodingAESKey, receiveId: 'corp' }),
      ...PROVIDERS.map(([, provider]) => new WeComCrypto({ token, encodingAESKey, provider })),
    ]) {
      const json = JSON.stringify(codec);
      expect(JSON.parse(json)).toMatchObject({ token: '[redacted]', encodingAESKey: '[redacted]' });
      expectClean(json, 'JSON.stringify(codec)');
      expectClean(inspect(codec, { depth: 10, showHidden: true }), 'inspect(codec)');
      expectClean(inspect({ ...codec }, { depth: 10, showHidden: true }), 'inspect of own fields');
      expectClean(`${codec}`, 'String(codec)');
    }
  });

  it('WeComError, the base other packages extend, defaults to HTTP 500 and is recognised across copies', () => {
    const error = new WeComError('some_code', 'text');
    expect(error.status).toBe(500);
    expect(new WeComError('other', 'text', { status: 418 }).status).toBe(418);
    expect(isWeComError(error)).toBe(true);
    expect(isWeComError(new Error('plain'))).toBe(false);
    expect(isWeComError({ code: 'some_code' })).toBe(false);
    expect(isWeComError(null)).toBe(false);
    // A copy from a second install (ESM + CJS) carries the same global brand.
    expect(isWeComError({ [Symbol.for('@maven/wecom.error')]: true })).toBe(true);
  });

  it('WeComCryptoError is an Error with the official errcode and an HTTP status', () => {
    const error = new WeComCryptoError('decode_base64_failed', 'x', { cause: new Error('inner') });
    expect(error).toBeInstanceOf(Error);
    expect(error.errcode).toBe(-40010);
    expect(error.status).toBe(400);
    expect((error.cause as Error).message).toBe('inner');
  });
});
