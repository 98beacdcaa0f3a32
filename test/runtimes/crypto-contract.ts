/**
 * The crypto provider contract as a portable check list: the official WXBizMsgCrypt vectors, the
 * AI-bot vector, byte-for-byte re-encryption, a multi-byte UTF-8 round trip and the typed error of
 * a bad signature, on the provider the runtime selects by default and on the Web Crypto provider.
 *
 * `@maven/wecom-crypto` is imported by its bare name on purpose: the runtime's (or the bundler's)
 * export conditions choose the entry, which is exactly what is under test.
 */
import {
  type CryptoProvider,
  defaultProvider,
  isWeComError,
  WeComCrypto,
  WeComCryptoError,
  type WeComCryptoOptions,
  webProvider,
} from '@maven/wecom-crypto';
import { A1, A2, A3, B1, B2, BOT, SET_A, SET_B } from '../../packages/crypto/test/vectors.ts';
import { assert, assertEqual, assertRejects, type CheckResult, Checks } from './checks.ts';

const A = { token: SET_A.token, encodingAESKey: SET_A.encodingAESKey, receiveId: SET_A.receiveId };
const ascii = new TextEncoder();

/** A random source that yields the given 16 ASCII bytes for the frame (what the vectors used). */
function fixedRandom(random: string): (n: number) => Uint8Array {
  return (n) => (n === 16 ? ascii.encode(random) : new Uint8Array(n));
}

/** Messages whose UTF-8 byte length differs from their UTF-16 length, at sizes that hit several pads. */
const UTF8_MESSAGES = [
  '你好',
  '企业微信 ✓ — naïve café',
  '😀🚀 emoji outside the BMP 👩‍💻',
  `${'多字节'.repeat(37)}e\u0301`,
  '{"msgtype":"text","text":{"content":"回复：你好 🌏"}}',
];

export interface CryptoContractOptions {
  /** The provider name this runtime should pick by default (`node` on Node and Bun, `web` elsewhere). */
  expectDefault: 'node' | 'web';
}

export async function cryptoContract(options: CryptoContractOptions): Promise<CheckResult[]> {
  const checks = new Checks();
  await checks.run(`crypto: the default entry selects the ${options.expectDefault} provider`, () => {
    assertEqual(defaultProvider.name, options.expectDefault, 'defaultProvider.name');
    const c = new WeComCrypto({ ...A, timestampWindow: false });
    assertEqual(c.toJSON().provider, options.expectDefault, 'WeComCrypto default provider');
  });
  const providers: [string, CryptoProvider | undefined][] = [
    [`default(${defaultProvider.name})`, undefined],
    ['web', webProvider],
  ];
  for (const [label, provider] of providers) {
    await providerContract(checks, label, provider);
  }
  await checks.run('crypto: default and web providers produce identical bytes', async () => {
    for (const message of UTF8_MESSAGES) {
      const make = (provider: CryptoProvider | undefined) =>
        codec({ ...A, random: fixedRandom('0123456789abcdef') }, provider);
      const [d, w] = [make(undefined), make(webProvider)];
      assertEqual(
        await d.encrypt(message),
        await w.encrypt(message),
        `ciphertext of ${message.length} chars`,
      );
      assertEqual(
        await d.signature('1409659813', '1372623149', message),
        await w.signature('1409659813', '1372623149', message),
        'signature',
      );
    }
  });
  return checks.results;
}

function codec(options: WeComCryptoOptions, provider: CryptoProvider | undefined): WeComCrypto {
  return new WeComCrypto({
    timestampWindow: false,
    ...options,
    ...(provider === undefined ? {} : { provider }),
  });
}

async function providerContract(checks: Checks, label: string, provider: CryptoProvider | undefined) {
  const p = `crypto/${label}`;

  await checks.run(`${p}: A1 verifyUrl answers the echostr plaintext`, async () => {
    assertEqual(await codec(A, provider).verifyUrl(A1), A1.plaintext, 'A1 plaintext');
  });

  await checks.run(`${p}: A2 XML callback decrypts to the exact plaintext`, async () => {
    const out = await codec(A, provider).decryptCallback({ ...A2, format: 'xml' });
    assertEqual(out.message, A2.plaintext, 'A2 plaintext');
    assertEqual(out.receiveId, SET_A.receiveId, 'A2 receiveId');
    assertEqual(out.envelope.agentId, '218', 'A2 AgentID');
  });

  await checks.run(`${p}: B1 verifyUrl and B2 XML callback (set B, UTF-8 content)`, async () => {
    const c = codec(SET_B, provider);
    assertEqual(await c.verifyUrl(B1), B1.plaintext, 'B1 plaintext');
    assertEqual((await c.decryptCallback({ ...B2, format: 'xml' })).message, B2.plaintext, 'B2 plaintext');
  });

  await checks.run(`${p}: A3 JSON callback decrypts to the exact plaintext`, async () => {
    const body = JSON.stringify({ encrypt: A3.encrypt });
    const out = await codec(A, provider).decryptCallback({ ...A3, body, format: 'json' });
    assertEqual(out.message, A3.plaintext, 'A3 plaintext');
  });

  await checks.run(`${p}: A2 and A3 re-encrypt byte-for-byte with the vectors' random`, async () => {
    assertEqual(
      await codec({ ...A, random: fixedRandom(A2.random) }, provider).encrypt(A2.plaintext),
      A2.encrypt,
      'A2 ciphertext',
    );
    assertEqual(
      await codec({ ...A, random: fixedRandom(A3.random) }, provider).encrypt(A3.plaintext),
      A3.encrypt,
      'A3 ciphertext',
    );
    assertEqual(
      await codec(A, provider).signature(A2.timestamp, A2.nonce, A2.encrypt),
      A2.signature,
      'A2 sig',
    );
  });

  await checks.run(`${p}: BOT vector (receiveId "") encrypts, signs and decrypts`, async () => {
    const c = codec(
      {
        token: SET_A.token,
        encodingAESKey: SET_A.encodingAESKey,
        receiveId: '',
        random: fixedRandom(BOT.random),
      },
      provider,
    );
    assertEqual(await c.encrypt(BOT.message), BOT.encrypt, 'BOT ciphertext');
    assertEqual(await c.signature(BOT.timestamp, BOT.nonce, BOT.encrypt), BOT.signature, 'BOT signature');
    const body = JSON.stringify({ encrypt: BOT.encrypt });
    const out = await c.decryptCallback({ ...BOT, body, format: 'json' });
    assertEqual(out.message, BOT.message, 'BOT plaintext');
    assertEqual(out.receiveId, '', 'BOT receiveId');
  });

  await checks.run(`${p}: multi-byte UTF-8 survives encryptReply → decryptCallback`, async () => {
    const c = codec({ token: SET_B.token, encodingAESKey: SET_B.encodingAESKey, receiveId: '' }, provider);
    for (const message of UTF8_MESSAGES) {
      const reply = JSON.parse(
        await c.encryptReply(message, { format: 'json', timestamp: '1476422779', nonce: '1597212914' }),
      ) as { encrypt: string; msgsignature: string; timestamp: number; nonce: string };
      assertEqual(reply.nonce, '1597212914', 'reply nonce');
      const out = await c.decryptCallback({
        signature: reply.msgsignature,
        timestamp: String(reply.timestamp),
        nonce: reply.nonce,
        body: JSON.stringify({ encrypt: reply.encrypt }),
        format: 'json',
      });
      assertEqual(out.message, message, 'round-tripped message');
    }
  });

  await checks.run(
    `${p}: a bad signature is a typed WeComCryptoError (signature_mismatch, -40001)`,
    async () => {
      const c = codec(A, provider);
      const bad = `${A2.signature.slice(0, -1)}${A2.signature.endsWith('0') ? '1' : '0'}`;
      await assertRejects(
        () => c.decryptCallback({ ...A2, signature: bad, format: 'xml' }),
        (e) =>
          e instanceof WeComCryptoError &&
          isWeComError(e) &&
          e.code === 'signature_mismatch' &&
          e.errcode === -40001 &&
          e.status === 401,
        'tampered msg_signature',
      );
      await assertRejects(
        () => c.verifyUrl({ ...A1, signature: bad }),
        (e) => e instanceof WeComCryptoError && e.code === 'signature_mismatch',
        'tampered URL verification',
      );
      // The same codec still works after a refusal (no state corrupted by the failed call).
      assert((await c.verifyUrl(A1)) === A1.plaintext, 'codec still verifies A1 after a refusal');
    },
  );
}
