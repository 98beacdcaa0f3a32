/**
 * Property tests (fast-check): round trips for arbitrary input, and for arbitrary garbage a typed
 * error or a well-formed result — never an untyped exception, never a hang — the same on both providers.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareCodePoints,
  type DecryptedMessage,
  nodeProvider,
  parseFrame,
  pkcs7Unpad,
  WeComCrypto,
  WeComCryptoSync,
  webProvider,
} from '../src/index.node.ts';
import { hex, IV_A, isKnownCryptoError, KEY_A, OPTIONS_A, PROVIDERS, pad } from './helpers.ts';
import { A2, A3 } from './vectors.ts';

const RUNS = { numRuns: 250, timeout: 2000 } as const;
const { receiveId: _unused, ...NO_RECEIVE_ID } = OPTIONS_A;

type Outcome = { ok: unknown } | { code: string };

/** Runs `op`: a result or a typed error with a known code; anything else fails the property. */
async function outcome(op: () => unknown): Promise<Outcome> {
  try {
    return { ok: await op() };
  } catch (error) {
    if (!isKnownCryptoError(error)) throw error;
    return { code: (error as { code: string }).code };
  }
}

function expectWellFormed(result: Outcome): void {
  if ('ok' in result) {
    const r = result.ok as DecryptedMessage;
    expect(typeof r.message).toBe('string');
    expect(typeof r.receiveId).toBe('string');
  }
}

/** The signature covers the ciphertext, so any success can only be the genuine message. */
function expectGenuineOrTyped(result: Outcome, genuine: string): void {
  if ('ok' in result) expect((result.ok as DecryptedMessage).message).toBe(genuine);
}

const node = new WeComCrypto({ ...NO_RECEIVE_ID, provider: nodeProvider });
const web = new WeComCrypto({ ...NO_RECEIVE_ID, provider: webProvider });
const sync = new WeComCryptoSync(NO_RECEIVE_ID);
const strictNode = new WeComCrypto({ ...OPTIONS_A, provider: nodeProvider });
const strictWeb = new WeComCrypto({ ...OPTIONS_A, provider: webProvider });

/** Decrypts on every codec; all must agree, and the outcome must be typed or well formed. */
async function decryptEverywhere(encrypt: string): Promise<Outcome> {
  const results = [
    await outcome(() => node.decrypt(encrypt)),
    await outcome(() => web.decrypt(encrypt)),
    await outcome(() => sync.decrypt(encrypt)),
  ];
  expect(results[1]).toEqual(results[0]);
  expect(results[2]).toEqual(results[0]);
  expectWellFormed(results[0]!);
  const strict = [
    await outcome(() => strictNode.decrypt(encrypt)),
    await outcome(() => strictWeb.decrypt(encrypt)),
  ];
  expect(strict[1]).toEqual(strict[0]);
  expectWellFormed(strict[0]!);
  return results[0]!;
}

const text = fc.string({ unit: 'binary', maxLength: 300 });

describe.each(PROVIDERS)('round trips (%s provider)', (_name, provider) => {
  it('any string with any receiveId', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.string({ unit: 'binary', maxLength: 40 }), async (message, receiveId) => {
        const codec = new WeComCrypto({ ...OPTIONS_A, receiveId, provider });
        expect(await codec.decrypt(await codec.encrypt(message))).toEqual({ message, receiveId });
      }),
      RUNS,
    );
  });

  it('any bytes: the frame carries them unchanged, and media decrypts to them', async () => {
    const codec = new WeComCrypto({ ...OPTIONS_A, provider });
    const aes = provider.createAes(KEY_A, IV_A);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (data) => {
        const raw = await aes.decrypt(provider.base64Decode(await codec.encrypt(data)));
        expect(hex(parseFrame(pkcs7Unpad(raw)).message)).toBe(hex(data));
        const media = await aes.encrypt(pad(data));
        expect(hex(await codec.decryptMedia(media))).toBe(hex(data));
      }),
      RUNS,
    );
  });

  it('a signed reply verifies for any token-safe timestamp and nonce', async () => {
    const codec = new WeComCrypto({ ...OPTIONS_A, provider });
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (message, ts, nonce) => {
          const body = JSON.parse(
            await codec.encryptReply(message, { format: 'json', timestamp: String(ts), nonce }),
          );
          const params = {
            signature: body.msgsignature,
            timestamp: String(body.timestamp),
            nonce: body.nonce,
          };
          const out = await codec.decryptCallback({
            ...params,
            body: JSON.stringify({ encrypt: body.encrypt }),
            format: 'json',
          });
          expect(out.message).toBe(message);
        },
      ),
      RUNS,
    );
  });
});

describe('mutated input: a typed error or a well-formed result, the same on every codec', () => {
  const valid = Buffer.from(A3.encrypt, 'base64');

  it('mutated ciphertext bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(valid.length - 1), xor: fc.integer({ min: 1, max: 255 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (flips) => {
          const data = Buffer.from(valid);
          for (const { at, xor } of flips) data[at]! ^= xor;
          await decryptEverywhere(data.toString('base64'));
        },
      ),
      RUNS,
    );
  });

  it('truncated ciphertext', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(valid.length - 1), async (length) => {
        const result = await decryptEverywhere(valid.subarray(0, length).toString('base64'));
        expect('code' in result).toBe(true);
      }),
      RUNS,
    );
  });

  it('flipped base64 characters', async () => {
    const chars = fc.constantFrom(...'AZaz09+/=-_ .\n%é你😀\u0000');
    await fc.assert(
      fc.asyncProperty(fc.nat(A3.encrypt.length - 1), chars, async (at, c) => {
        await decryptEverywhere(A3.encrypt.slice(0, at) + c + A3.encrypt.slice(at + 1));
      }),
      RUNS,
    );
  });

  it('random base64 of random lengths, and random strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.base64String({ maxLength: 400 }), fc.string({ maxLength: 60 })),
        async (encrypt) => {
          await decryptEverywhere(encrypt);
        },
      ),
      RUNS,
    );
  });

  it('random whole blocks that happen to be base64 of multiples of 16 bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 20 }),
        fc.uint8Array({ minLength: 320, maxLength: 320 }),
        async (blocks, bytes) => {
          await decryptEverywhere(Buffer.from(bytes.subarray(0, blocks * 16)).toString('base64'));
        },
      ),
      RUNS,
    );
  });
});

describe('random requests into the callback entry points', () => {
  const optional = fc.option(fc.oneof(fc.string({ maxLength: 45 }), fc.stringMatching(/^\d{1,16}$/)), {
    nil: undefined,
  });
  const codecs = [strictNode, strictWeb, new WeComCryptoSync(OPTIONS_A)];

  it('random signatures, timestamps and nonces on a genuine body', async () => {
    await fc.assert(
      fc.asyncProperty(optional, optional, optional, async (signature, timestamp, nonce) => {
        for (const codec of codecs) {
          const result = await outcome(() =>
            codec.decryptCallback({ ...A2, signature, timestamp, nonce, format: 'xml' }),
          );
          expect('code' in result).toBe(true);
          const url = await outcome(() =>
            codec.verifyUrl({ signature, timestamp, nonce, echostr: A3.encrypt }),
          );
          expect('code' in url).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('random JSON bodies', async () => {
    const body = fc.oneof(
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify({ encrypt: v })),
      fc.string().map((s) => JSON.stringify({ encrypt: s, __proto__: { encrypt: A3.encrypt } })),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        for (const codec of codecs) {
          const result = await outcome(() => codec.decryptCallback({ ...A3, body: b, format: 'json' }));
          expectGenuineOrTyped(result, A3.plaintext);
        }
      }),
      RUNS,
    );
  });

  it('random XML bodies', async () => {
    const name = fc.constantFrom(
      'xml',
      'Encrypt',
      'ToUserName',
      'AgentID',
      '__proto__',
      'a',
      '!DOCTYPE x',
      '!ENTITY',
    );
    const element: fc.Arbitrary<string> = fc.letrec<{ el: string }>((tie) => ({
      el: fc.oneof(
        { depthSize: 'small' },
        fc.string({ maxLength: 20 }),
        fc.constant(`<![CDATA[${A2.encrypt}]]>`),
        fc
          .tuple(name, fc.array(tie('el'), { maxLength: 3 }))
          .map(([n, kids]) => `<${n}>${kids.join('')}</${n.split(' ')[0]}>`),
      ),
    })).el;
    const body = fc.oneof(
      element,
      element.map((inner) => `<xml>${inner}</xml>`),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        for (const codec of codecs) {
          const result = await outcome(() => codec.decryptCallback({ ...A2, body: b, format: 'xml' }));
          expectGenuineOrTyped(result, A2.plaintext);
        }
      }),
      RUNS,
    );
  });
});

describe('agreement with independent definitions', () => {
  it('compareCodePoints sorts like the UTF-8 bytes', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(
          Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('the signature is SHA-1 over the byte-sorted UTF-8 values, for any token, timestamp and nonce', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
        text,
        text,
        text,
        (token, timestamp, nonce, encrypt) => {
          const codec = new WeComCryptoSync({ ...OPTIONS_A, token });
          const parts = [token, timestamp, nonce, encrypt].map((s) => Buffer.from(s)).sort(Buffer.compare);
          const expected = createHash('sha1').update(Buffer.concat(parts)).digest('hex');
          expect(codec.signature(timestamp, nonce, encrypt)).toBe(expected);
        },
      ),
      RUNS,
    );
  });

  it('both providers accept exactly the canonical base64 strings, and decode them alike', () => {
    const soup = fc.string({ unit: fc.constantFrom(...'AQgw+/=-_ Ł\nYR'), maxLength: 12 });
    fc.assert(
      fc.property(fc.oneof(soup, fc.base64String({ maxLength: 12 })), (s) => {
        const canonical = Buffer.from(s, 'base64').toString('base64') === s;
        const decode = (p: typeof nodeProvider | typeof webProvider) => {
          try {
            return hex(p.base64Decode(s));
          } catch (error) {
            expect(isKnownCryptoError(error)).toBe(true);
            return null;
          }
        };
        expect(decode(nodeProvider) !== null).toBe(canonical);
        expect(decode(webProvider)).toBe(decode(nodeProvider));
      }),
      { numRuns: 2000 },
    );
  });
});
