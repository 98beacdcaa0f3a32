/** The implementations under comparison, each reduced to one inbound and one outbound operation. */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import * as wecom from '@wecom/crypto';
import WXBizMsgCrypt from 'wechat-crypto';
import { nodeProvider, WeComCrypto, WeComCryptoSync, webProvider } from '../src/index.node.ts';

export const KEYS = {
  token: 'QDG6eK',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  receiveId: 'wx5823bf96d3bd56c7',
} as const;

/** One signed inbound callback: what a receiver gets from the query string and body. */
export interface Inbound {
  signature: string;
  timestamp: string;
  nonce: string;
  encrypt: string;
  message: string;
}

export interface Subject {
  name: string;
  async: boolean;
  /** Verifies the signature and decrypts; returns the message. */
  inbound(sample: Inbound): unknown;
  /** Encrypts and signs; returns the signature. */
  outbound(message: string, timestamp: string, nonce: string): unknown;
}

function fail(what: string): never {
  throw new Error(`benchmark subject failed: ${what}`);
}

const sync = new WeComCryptoSync({ ...KEYS });
const asyncNode = new WeComCrypto({ ...KEYS, provider: nodeProvider });
const asyncWeb = new WeComCrypto({ ...KEYS, provider: webProvider });
const legacy = new WXBizMsgCrypt(KEYS.token, KEYS.encodingAESKey, KEYS.receiveId);
const aesKey = Buffer.from(`${KEYS.encodingAESKey}=`, 'base64');
const iv = aesKey.subarray(0, 16);

export const subjects: Subject[] = [
  {
    name: 'ours sync (node)',
    async: false,
    inbound(s) {
      sync.verifySignature(s);
      return sync.decrypt(s.encrypt).message;
    },
    outbound(message, timestamp, nonce) {
      return sync.signature(timestamp, nonce, sync.encrypt(message));
    },
  },
  {
    name: 'ours async (node)',
    async: true,
    async inbound(s) {
      await asyncNode.verifySignature(s);
      return (await asyncNode.decrypt(s.encrypt)).message;
    },
    async outbound(message, timestamp, nonce) {
      return asyncNode.signature(timestamp, nonce, await asyncNode.encrypt(message));
    },
  },
  {
    name: 'ours async (web)',
    async: true,
    async inbound(s) {
      await asyncWeb.verifySignature(s);
      return (await asyncWeb.decrypt(s.encrypt)).message;
    },
    async outbound(message, timestamp, nonce) {
      return asyncWeb.signature(timestamp, nonce, await asyncWeb.encrypt(message));
    },
  },
  {
    name: '@wecom/crypto 1.0.1',
    async: false,
    inbound(s) {
      if (wecom.getSignature(KEYS.token, s.timestamp, s.nonce, s.encrypt) !== s.signature) fail('signature');
      const out = wecom.decrypt(KEYS.encodingAESKey, s.encrypt);
      if (out.id !== KEYS.receiveId) fail('receiveId');
      return out.message;
    },
    outbound(message, timestamp, nonce) {
      const encrypt = wecom.encrypt(KEYS.encodingAESKey, message, KEYS.receiveId);
      return wecom.getSignature(KEYS.token, timestamp, nonce, encrypt);
    },
  },
  {
    name: 'wechat-crypto 0.0.2',
    async: false,
    inbound(s) {
      if (legacy.getSignature(s.timestamp, s.nonce, s.encrypt) !== s.signature) fail('signature');
      const out = legacy.decrypt(s.encrypt);
      if (out.id !== KEYS.receiveId) fail('receiveId');
      return out.message;
    },
    outbound(message, timestamp, nonce) {
      return legacy.getSignature(timestamp, nonce, legacy.encrypt(message));
    },
  },
  {
    // The floor: one SHA-1 over the sorted string, one fresh AES pass, base64 — no framing, no checks.
    name: 'primitive floor',
    async: false,
    inbound(s) {
      const sig = createHash('sha1')
        .update([KEYS.token, s.timestamp, s.nonce, s.encrypt].sort().join(''))
        .digest('hex');
      if (sig !== s.signature) fail('signature');
      const d = createDecipheriv('aes-256-cbc', aesKey, iv).setAutoPadding(false);
      return Buffer.concat([d.update(Buffer.from(s.encrypt, 'base64')), d.final()]);
    },
    outbound(message, timestamp, nonce) {
      const c = createCipheriv('aes-256-cbc', aesKey, iv).setAutoPadding(false);
      const encrypt = Buffer.concat([c.update(floorFrame(message)), c.final()]).toString('base64');
      return createHash('sha1').update([KEYS.token, timestamp, nonce, encrypt].sort().join('')).digest('hex');
    },
  },
];

const frames = new Map<string, Buffer>();
/** The floor encrypts a pre-built padded frame of the right size (building it is not a primitive). */
function floorFrame(message: string): Buffer {
  let frame = frames.get(message);
  if (!frame) {
    const body = 20 + Buffer.byteLength(message) + KEYS.receiveId.length;
    frame = Buffer.alloc(body + 32 - (body % 32), 1);
    frames.set(message, frame);
  }
  return frame;
}
