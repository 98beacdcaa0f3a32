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

/** A value now, or later when the provider is asynchronous (Web Crypto). */
type Maybe<T> = T | Promise<T>;

/**
 * `next(value)` at once when the value is already there, else when it arrives. A synchronous
 * provider (node:crypto) then goes through a whole callback without a single intermediate promise:
 * each public method below makes one, where chained `await`s made five or six.
 */
function then<T, U>(value: Maybe<T>, next: (value: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** The async codec; works with every provider. */
export class WeComCrypto extends CodecBase<CryptoProvider> {
  #signature(timestamp: string, nonce: string, encrypt: string): Maybe<string> {
    return this.provider.sha1Hex(...this.signatureParts(timestamp, nonce, encrypt));
  }

  #verify(p: SignatureParams): Maybe<void> {
    const checked = this.checkParams(p);
    return then(this.#signature(checked.timestamp, checked.nonce, p.encrypt), (signature) =>
      this.compareSignature(signature, checked),
    );
  }

  #encrypt(message: string | Uint8Array): Maybe<string> {
    return then(this.aes.encrypt(this.frame(message)), (bytes) => this.provider.base64Encode(bytes));
  }

  #decrypt(encrypt: string): Maybe<DecryptedMessage> {
    return then(this.aes.decrypt(this.ciphertext(encrypt)), (raw) => this.finishDecrypt(raw));
  }

  /** msg_signature over token, timestamp, nonce and the encrypted text. */
  async signature(timestamp: string, nonce: string, encrypt: string): Promise<string> {
    return this.#signature(timestamp, nonce, encrypt);
  }

  /** Checks the signature in constant time, then the timestamp window. */
  async verifySignature(p: SignatureParams): Promise<void> {
    return this.#verify(p);
  }

  async encrypt(message: string | Uint8Array): Promise<string> {
    return this.#encrypt(message);
  }

  async decrypt(encrypt: string): Promise<DecryptedMessage> {
    return this.#decrypt(encrypt);
  }

  /** URL verification: returns the plaintext to answer with (no quotes, no newline). */
  async verifyUrl(p: UrlVerificationParams): Promise<string> {
    const echostr = echostrOf(p);
    return then(this.#verify({ ...p, encrypt: echostr }), () =>
      then(this.#decrypt(echostr), (decrypted) => decrypted.message),
    );
  }

  /** Parses the envelope, verifies, decrypts. */
  async decryptCallback(p: CallbackParams): Promise<DecryptedCallback> {
    const envelope = this.parseEnvelope(p.body, p.format);
    return then(this.#verify({ ...p, encrypt: envelope.encrypt }), () =>
      then(this.#decrypt(envelope.encrypt), (decrypted) => ({ ...decrypted, envelope })),
    );
  }

  /** Encrypts and signs a passive reply; returns the response body. */
  async encryptReply(message: string, options: ReplyOptions): Promise<string> {
    const { timestamp, nonce } = this.replyStamp(options);
    return then(this.#encrypt(message), (encrypt) =>
      then(this.#signature(timestamp, nonce, encrypt), (signature) =>
        this.envelope(options.format, { encrypt, signature, timestamp, nonce }),
      ),
    );
  }

  /**
   * Decrypts an AI-bot media download: AES-256-CBC with the bot key (or a per-item `aeskey`),
   * IV = key[0..16], PKCS#7 to 32, no frame. Returns a view of the decrypted bytes.
   */
  async decryptMedia(data: Uint8Array, aesKey?: string): Promise<Uint8Array> {
    return then(this.mediaAes(data, aesKey).decrypt(data), pkcs7Unpad);
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
