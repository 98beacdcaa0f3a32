/** Envelopes in and out: JSON for AI bots, XML for self-built apps, and the passive reply. */
import { describe, expect, it } from 'vitest';
import {
  buildJsonEnvelope,
  buildXmlEnvelope,
  cdata,
  parseJsonEnvelope,
  parseXml,
  parseXmlEnvelope,
  WeComCrypto,
  WeComCryptoSync,
  xmlText,
} from '../src/index.node.ts';
import { expectCryptoError, fixedRandom, OPTIONS_A, PROVIDERS } from './helpers.ts';
import { A2, BOT } from './vectors.ts';

const OUT = { encrypt: 'enc+/=', signature: 'sig', timestamp: '1409659813', nonce: '1372623149' };

describe('outbound envelopes', () => {
  it('JSON: msgsignature without underscore, a numeric timestamp when it prints back unchanged', () => {
    expect(JSON.parse(buildJsonEnvelope(OUT))).toEqual({
      ...OUT,
      signature: undefined,
      msgsignature: 'sig',
      timestamp: 1409659813,
    });
    expect(Object.keys(JSON.parse(buildJsonEnvelope(OUT)))).toEqual([
      'encrypt',
      'msgsignature',
      'timestamp',
      'nonce',
    ]);
    for (const timestamp of ['0123', '1'.repeat(16), '12a', '']) {
      expect(JSON.parse(buildJsonEnvelope({ ...OUT, timestamp })).timestamp).toBe(timestamp);
    }
    expect(JSON.parse(buildJsonEnvelope({ ...OUT, timestamp: '0' })).timestamp).toBe(0);
  });

  it('XML: every field in CDATA, a numeric TimeStamp bare, and it parses back', () => {
    const xml = buildXmlEnvelope(OUT);
    expect(xml).toBe(
      '<xml><Encrypt><![CDATA[enc+/=]]></Encrypt><MsgSignature><![CDATA[sig]]></MsgSignature><TimeStamp>1409659813</TimeStamp><Nonce><![CDATA[1372623149]]></Nonce></xml>',
    );
    const odd = parseXml(buildXmlEnvelope({ ...OUT, timestamp: 'a<b]]>c', nonce: ']]>' }));
    expect(odd).toMatchObject({ TimeStamp: 'a<b]]>c', Nonce: ']]>' });
  });

  it('cdata cannot be closed early', () => {
    expect(parseXml(`<xml><A>${cdata('x]]><B>y</B>')}</A></xml>`)).toEqual({ A: 'x]]><B>y</B>' });
  });
});

describe('inbound envelopes', () => {
  it('JSON: "encrypt", or "Encrypt" as a fallback; extra fields are ignored', () => {
    expect(parseJsonEnvelope('{"encrypt":"abc","agentid":"1"}')).toEqual({ encrypt: 'abc' });
    expect(parseJsonEnvelope('{"Encrypt":"abc"}')).toEqual({ encrypt: 'abc' });
    expect(parseJsonEnvelope('{"encrypt":"a","Encrypt":"b"}')).toEqual({ encrypt: 'a' });
  });

  it('JSON: the length cap is a parameter', async () => {
    await expectCryptoError(() => parseJsonEnvelope('{"encrypt":"abc"}', 10), 'parse_failed');
  });

  it('XML: ToUserName and AgentID are reported when present, elements repeat as arrays', () => {
    expect(parseXmlEnvelope('<xml><Encrypt>e</Encrypt></xml>')).toEqual({ encrypt: 'e' });
    expect(parseXmlEnvelope(A2.body)).toEqual({
      encrypt: A2.encrypt,
      toUserName: OPTIONS_A.receiveId,
      agentId: '218',
    });
    const root = parseXml('<?xml version="1.0"?><xml><A>1</A><A>2</A><B> 007 </B><C><D>x</D></C></xml>');
    expect(root).toEqual({ A: ['1', '2'], B: '007', C: { D: 'x' } });
    expect(xmlText(root, 'B')).toBe('007');
    expect(xmlText(root, 'A')).toBeUndefined();
    expect(xmlText(root, 'C')).toBeUndefined();
  });

  it('XML: numbers stay strings (MsgId exceeds 2^53, AgentID keeps leading zeros)', () => {
    expect(
      parseXml('<xml><MsgId>4561255354251345929</MsgId><AgentID>0218</AgentID><H>0x1F</H></xml>'),
    ).toEqual({
      MsgId: '4561255354251345929',
      AgentID: '0218',
      H: '0x1F',
    });
  });
});

describe.each(PROVIDERS)('passive replies (%s provider)', (_name, provider) => {
  it('JSON reply: signed over the given timestamp and nonce, decryptable by the receiver', async () => {
    const codec = new WeComCrypto({ ...OPTIONS_A, receiveId: '', provider, random: fixedRandom(BOT.random) });
    const body = JSON.parse(
      await codec.encryptReply(BOT.message, { format: 'json', timestamp: BOT.timestamp, nonce: BOT.nonce }),
    );
    expect(body).toEqual({
      encrypt: BOT.encrypt,
      msgsignature: BOT.signature,
      timestamp: 1409659813,
      nonce: BOT.nonce,
    });
  });

  it('XML reply: the receiving side verifies and decrypts it', async () => {
    const codec = new WeComCrypto({ ...OPTIONS_A, provider });
    const xml = await codec.encryptReply('<xml><Content>回复</Content></xml>', {
      format: 'xml',
      nonce: 'abc',
    });
    const root = parseXml(xml);
    const receiver = new WeComCryptoSync(OPTIONS_A);
    const out = receiver.decryptCallback({
      signature: xmlText(root, 'MsgSignature'),
      timestamp: xmlText(root, 'TimeStamp'),
      nonce: xmlText(root, 'Nonce'),
      body: xml,
      format: 'xml',
    });
    expect(out.message).toBe('<xml><Content>回复</Content></xml>');
  });

  it('defaults: the timestamp is now (in seconds) and the nonce is 10 random digits', async () => {
    const codec = new WeComCrypto({ ...OPTIONS_A, provider, now: () => 1_700_000_000_999 });
    const nonces = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const body = JSON.parse(await codec.encryptReply('x', { format: 'json' }));
      expect(body.timestamp).toBe(1_700_000_000);
      expect(body.nonce).toMatch(/^[1-9]\d{9}$/);
      nonces.add(body.nonce);
    }
    expect(nonces.size).toBeGreaterThan(15);
    const fixed = new WeComCrypto({ ...OPTIONS_A, provider, random: (n) => new Uint8Array(n).fill(255) });
    expect(JSON.parse(await fixed.encryptReply('x', { format: 'json' })).nonce).toBe(
      String(1e9 + ((2 ** 40 - 1) % 9e9)),
    );
  });
});
