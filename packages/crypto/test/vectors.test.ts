/** The official WXBizMsgCrypt vectors (PROTOCOL.md §1.3–1.5), in both directions, on every codec. */
import { describe, expect, it } from 'vitest';
import {
  parseFrame,
  pkcs7Unpad,
  type SignatureParams,
  signatureBase,
  WeComCrypto,
  WeComCryptoSync,
} from '../src/index.node.ts';
import { fixedRandom, OPTIONS_A, PROVIDERS, rawDecrypt } from './helpers.ts';
import { A1, A2, A3, B1, B2, BOT, SET_A, SET_B } from './vectors.ts';

const OPTIONS_B = { ...SET_B, timestampWindow: false } as const;
const OPTIONS_BOT = { ...OPTIONS_A, receiveId: '' } as const;

/** The same checks for the async codec on each provider and for the sync codec. */
interface Codec {
  signature(timestamp: string, nonce: string, encrypt: string): string | Promise<string>;
  verifySignature(p: SignatureParams): void | Promise<void>;
  encrypt(message: string): string | Promise<string>;
  decrypt(
    encrypt: string,
  ): { message: string; receiveId: string } | Promise<{ message: string; receiveId: string }>;
}

type Make = (options: ConstructorParameters<typeof WeComCryptoSync>[0]) => Codec;

const CODECS: Array<[string, Make]> = [
  ...PROVIDERS.map(([name, provider]): [string, Make] => [
    `async ${name}`,
    (options) => new WeComCrypto({ ...options, provider }),
  ]),
  ['sync node', (options) => new WeComCryptoSync(options)],
];

const CASES = [
  { name: 'A1 (echostr)', options: OPTIONS_A, v: { ...A1, encrypt: A1.echostr }, pad: 7 },
  { name: 'A2 (XML)', options: OPTIONS_A, v: A2, pad: 30 },
  { name: 'A3 (JSON)', options: OPTIONS_A, v: A3, pad: 22 },
  { name: 'BOT (receiveId "")', options: OPTIONS_BOT, v: { ...BOT, plaintext: BOT.message }, pad: 31 },
] as const;

describe.each(CODECS)('official vectors, %s codec', (_name, make) => {
  it.each(CASES)('$name: signature, decrypt, and re-encrypt byte-for-byte', async ({ options, v }) => {
    const codec = make({ ...options, random: fixedRandom(v.random) });
    expect(await codec.signature(v.timestamp, v.nonce, v.encrypt)).toBe(v.signature);
    await codec.verifySignature(v);
    expect(await codec.decrypt(v.encrypt)).toEqual({ message: v.plaintext, receiveId: options.receiveId });
    expect(await codec.encrypt(v.plaintext)).toBe(v.encrypt);
  });

  it('set B: B1 and B2 verify, decrypt, and re-encrypt with the random found in their frames', async () => {
    for (const v of [
      { ...B1, encrypt: B1.echostr },
      { ...B2, encrypt: B2.encrypt },
    ]) {
      const frame = parseFrame(pkcs7Unpad(rawDecrypt(SET_B.encodingAESKey, v.encrypt)));
      const codec = make({ ...OPTIONS_B, random: fixedRandom(Buffer.from(frame.random).toString('latin1')) });
      expect(await codec.signature(v.timestamp, v.nonce, v.encrypt)).toBe(v.signature);
      expect((await codec.decrypt(v.encrypt)).message).toBe(v.plaintext);
      expect(await codec.encrypt(v.plaintext)).toBe(v.encrypt);
    }
  });
});

describe.each(PROVIDERS)('official requests end to end (%s provider)', (_name, provider) => {
  it('A1: URL verification straight from the raw query string, URL-decoded with URLSearchParams', async () => {
    const q = new URLSearchParams(A1.rawQuery);
    expect(q.get('echostr')).toBe(A1.echostr);
    const codec = new WeComCrypto({ ...OPTIONS_A, provider });
    const answer = await codec.verifyUrl({
      signature: q.get('msg_signature'),
      timestamp: q.get('timestamp'),
      nonce: q.get('nonce'),
      echostr: q.get('echostr'),
    });
    expect(answer).toBe(A1.plaintext);
  });

  it('A2: the XML callback body decrypts, with ToUserName and AgentID reported', async () => {
    const codec = new WeComCrypto({ ...OPTIONS_A, provider });
    const out = await codec.decryptCallback({ ...A2, format: 'xml' });
    expect(out.message).toBe(A2.plaintext);
    expect(out.receiveId).toBe(SET_A.receiveId);
    expect(out.envelope).toEqual({ encrypt: A2.encrypt, toUserName: SET_A.receiveId, agentId: '218' });
  });

  it('A3: the JSON callback body decrypts', async () => {
    const codec = new WeComCrypto({ ...OPTIONS_A, provider });
    const body = JSON.stringify({ tousername: SET_A.receiveId, encrypt: A3.encrypt, agentid: '218' });
    const out = await codec.decryptCallback({ ...A3, body, format: 'json' });
    expect(out.message).toBe(A3.plaintext);
    expect(out.envelope).toEqual({ encrypt: A3.encrypt });
  });

  it('B1 and B2 (set B) verify and decrypt', async () => {
    const codec = new WeComCrypto({ ...OPTIONS_B, provider });
    expect(await codec.verifyUrl(B1)).toBe(B1.plaintext);
    expect((await codec.decryptCallback({ ...B2, format: 'xml' })).message).toBe(B2.plaintext);
  });

  it('BOT: the passive reply envelope carries the vector’s encrypt and signature', async () => {
    const codec = new WeComCrypto({ ...OPTIONS_BOT, provider, random: fixedRandom(BOT.random) });
    const body = await codec.encryptReply(BOT.message, {
      format: 'json',
      timestamp: BOT.timestamp,
      nonce: BOT.nonce,
    });
    expect(JSON.parse(body)).toEqual({
      encrypt: BOT.encrypt,
      msgsignature: BOT.signature,
      timestamp: Number(BOT.timestamp),
      nonce: BOT.nonce,
    });
  });
});

describe('vector layouts (raw frames)', () => {
  it.each(CASES)('$name has pad $pad and the documented random', ({ options, v, pad }) => {
    const raw = rawDecrypt(options.encodingAESKey, v.encrypt);
    expect(raw[raw.length - 1]).toBe(pad);
    const frame = parseFrame(pkcs7Unpad(raw));
    expect(Buffer.from(frame.random).toString()).toBe(v.random);
    expect(Buffer.from(frame.message).toString()).toBe(v.plaintext);
    expect(Buffer.from(frame.receiveId).toString()).toBe(options.receiveId);
  });

  it('signature base of A2 is the sorted concatenation', () => {
    expect(signatureBase(SET_A.token, A2.timestamp, A2.nonce, A2.encrypt)).toBe(
      `${A2.nonce}${A2.timestamp}${SET_A.token}${A2.encrypt}`,
    );
  });
});
