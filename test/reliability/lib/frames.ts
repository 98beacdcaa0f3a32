/**
 * Low-level WeCom frames, built by hand with node:crypto so a test can make the ones the SDK's
 * builders never would: bad padding, absurd length fields, foreign receiveIds, ciphertexts of odd
 * lengths — each signed correctly, so the refusal has to come from the decryption checks.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

export function aesKeyOf(encodingAESKey: string): Buffer {
  return Buffer.from(`${encodingAESKey}=`, 'base64');
}

export interface FrameOptions {
  message: string | Buffer;
  receiveId: string;
  /** The 4-byte length field; default the message's real length. */
  lengthField?: number;
  /** The padding to append; default WeCom's PKCS#7 to 32 bytes. */
  padding?: (unpaddedLength: number) => Buffer;
}

export function wecomPadding(length: number): Buffer {
  const n = 32 - (length % 32);
  return Buffer.alloc(n, n);
}

/** AES-256-CBC(key, iv = key[0..16]) of random(16) + length(4, BE) + message + receiveId + padding, base64. */
export function encryptFrame(encodingAESKey: string, options: FrameOptions): string {
  const key = aesKeyOf(encodingAESKey);
  const message = Buffer.isBuffer(options.message) ? options.message : Buffer.from(options.message);
  const length = Buffer.alloc(4);
  length.writeUInt32BE((options.lengthField ?? message.length) >>> 0);
  const body = Buffer.concat([randomBytes(16), length, message, Buffer.from(options.receiveId)]);
  const padded = Buffer.concat([body, (options.padding ?? wecomPadding)(body.length)]);
  // CBC needs whole blocks: a padding that breaks alignment is completed with zeros here, so the
  // server still sees a decryptable ciphertext whose (bad) padding it must refuse.
  const aligned =
    padded.length % 16 === 0 ? padded : Buffer.concat([padded, Buffer.alloc(16 - (padded.length % 16))]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(aligned), cipher.final()]).toString('base64');
}

export function signature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex');
}

export function signedQuery(
  token: string,
  encrypt: string,
  options: { timestamp?: string; nonce?: string } = {},
): string {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? String(Math.floor(Math.random() * 1e10));
  const sig = signature(token, timestamp, nonce, encrypt);
  return `msg_signature=${sig}&timestamp=${timestamp}&nonce=${nonce}`;
}
