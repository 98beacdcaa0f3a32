/**
 * WXBizMsgCrypt: signature, AES codec, envelopes and URL verification for one token and key.
 * Strict where the official samples are lenient; every failure is a typed `WeComCryptoError`.
 */

import { pkcs7Unpad } from './codec.js';
import {
  type CallbackParams,
  CodecBase,
  type DecryptedCallback,
  type DecryptedMessage,
  type ReplyOptions,
  type SignatureParams,
  type UrlVerificationParams,
} from './codec-base.js';
import { WeComCryptoError } from './errors.js';
import type { CryptoProvider, SyncCryptoProvider } from './provider.js';

export type {
  CallbackParams,
  DecryptedCallback,
  DecryptedMessage,
  ReplyOptions,
  SignatureParams,
  UrlVerificationParams,
} from './codec-base.js';
export type { WeComCryptoOptions } from './options.js';

function echostrOf(p: UrlVerificationParams): string {
  if (typeof p.echostr !== 'string' || p.echostr.length === 0) {
    throw new WeComCryptoError('parse_failed', 'missing echostr');
  }
  return p.echostr;
}

/** The async codec; works with every provider. */
export class WeComCrypto extends CodecBase<CryptoProvider> {
  /** msg_signature over token, timestamp, nonce and the encrypted text. */
  async signature(timestamp: string, nonce: string, encrypt: string): Promise<string> {
    return this.provider.sha1Hex(...this.signatureParts(timestamp, nonce, encrypt));
  }

  /** Checks the signature in constant time, then the timestamp window. */
  async verifySignature(p: SignatureParams): Promise<void> {
    const checked = this.checkParams(p);
    this.compareSignature(await this.signature(checked.timestamp, checked.nonce, p.encrypt), checked);
  }

  async encrypt(message: string | Uint8Array): Promise<string> {
    return this.provider.base64Encode(await this.aes.encrypt(this.frame(message)));
  }

  async decrypt(encrypt: string): Promise<DecryptedMessage> {
    return this.finishDecrypt(await this.aes.decrypt(this.ciphertext(encrypt)));
  }

  /** URL verification: returns the plaintext to answer with (no quotes, no newline). */
  async verifyUrl(p: UrlVerificationParams): Promise<string> {
    const echostr = echostrOf(p);
    await this.verifySignature({ ...p, encrypt: echostr });
    return (await this.decrypt(echostr)).message;
  }

  /** Parses the envelope, verifies, decrypts. */
  async decryptCallback(p: CallbackParams): Promise<DecryptedCallback> {
    const envelope = this.parseEnvelope(p.body, p.format);
    await this.verifySignature({ ...p, encrypt: envelope.encrypt });
    return { ...(await this.decrypt(envelope.encrypt)), envelope };
  }

  /** Encrypts and signs a passive reply; returns the response body. */
  async encryptReply(message: string, options: ReplyOptions): Promise<string> {
    const { timestamp, nonce } = this.replyStamp(options);
    const encrypt = await this.encrypt(message);
    const signature = await this.signature(timestamp, nonce, encrypt);
    return this.envelope(options.format, { encrypt, signature, timestamp, nonce });
  }

  /**
   * Decrypts an AI-bot media download: AES-256-CBC with the bot key (or a per-item `aeskey`),
   * IV = key[0..16], PKCS#7 to 32, no frame. Returns a view of the decrypted bytes.
   */
  async decryptMedia(data: Uint8Array, aesKey?: string): Promise<Uint8Array> {
    return pkcs7Unpad(await this.mediaAes(data, aesKey).decrypt(data));
  }
}

/** The synchronous codec, for providers that can do it (Node). Same checks, same results. */
export class WeComCryptoSync extends CodecBase<SyncCryptoProvider> {
  signature(timestamp: string, nonce: string, encrypt: string): string {
    return this.provider.sha1Hex(...this.signatureParts(timestamp, nonce, encrypt));
  }

  verifySignature(p: SignatureParams): void {
    const checked = this.checkParams(p);
    this.compareSignature(this.signature(checked.timestamp, checked.nonce, p.encrypt), checked);
  }

  encrypt(message: string | Uint8Array): string {
    return this.provider.base64Encode(this.aes.encrypt(this.frame(message)));
  }

  decrypt(encrypt: string): DecryptedMessage {
    return this.finishDecrypt(this.aes.decrypt(this.ciphertext(encrypt)));
  }

  verifyUrl(p: UrlVerificationParams): string {
    const echostr = echostrOf(p);
    this.verifySignature({ ...p, encrypt: echostr });
    return this.decrypt(echostr).message;
  }

  decryptCallback(p: CallbackParams): DecryptedCallback {
    const envelope = this.parseEnvelope(p.body, p.format);
    this.verifySignature({ ...p, encrypt: envelope.encrypt });
    return { ...this.decrypt(envelope.encrypt), envelope };
  }

  encryptReply(message: string, options: ReplyOptions): string {
    const { timestamp, nonce } = this.replyStamp(options);
    const encrypt = this.encrypt(message);
    const signature = this.signature(timestamp, nonce, encrypt);
    return this.envelope(options.format, { encrypt, signature, timestamp, nonce });
  }

  decryptMedia(data: Uint8Array, aesKey?: string): Uint8Array {
    return pkcs7Unpad(this.mediaAes(data, aesKey).decrypt(data));
  }
}
