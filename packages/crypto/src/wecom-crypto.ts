/**
 * WXBizMsgCrypt: signature, AES codec, envelopes and URL verification for one token and key.
 * Strict where the official samples are lenient; every failure is a typed `WeComCryptoError`.
 */
import { isBase64 } from './base64.js';
import { utf8Decode, utf8Encode } from './bytes.js';
import {
  buildFrame,
  checkCiphertextLength,
  decodeEncodingAESKey,
  parseFrame,
  pkcs7Unpad,
  signatureBase,
} from './codec.js';
import {
  buildJsonEnvelope,
  buildXmlEnvelope,
  DEFAULT_JSON_MAX_LENGTH,
  type EnvelopeFormat,
  type InboundEnvelope,
  parseJsonEnvelope,
  parseXmlEnvelope,
} from './envelope.js';
import { WeComConfigError, WeComCryptoError } from './errors.js';
import type { AesContext, CryptoProvider, SyncAesContext, SyncCryptoProvider } from './provider.js';
import { webProvider } from './provider-web.js';
import { DEFAULT_XML_MAX_BYTES } from './xml.js';

export interface WeComCryptoOptions {
  /** The callback Token from the WeCom console. */
  token: string;
  /** The 43-character EncodingAESKey from the WeCom console. */
  encodingAESKey: string;
  /**
   * Expected receiveId, enforced on decrypt when set: the CorpID for self-built apps, `""` for AI
   * bots. When absent it is not checked, but what was found is reported.
   */
  receiveId?: string;
  /** Which crypto implementation to use. Defaults to the runtime's (Node on Node, Web elsewhere). */
  provider?: CryptoProvider;
  /** Largest accepted difference between a request's timestamp and now, in seconds; `false` disables. Default 300. */
  timestampWindow?: number | false;
  /** Clock in milliseconds, for tests. Default `Date.now`. */
  now?: () => number;
  /** Source of the 16 random frame bytes and of nonces, for tests. Default: the provider's CSPRNG. */
  random?: (length: number) => Uint8Array;
  /** Largest accepted callback body (characters). Default 1 MiB for JSON, 64 KiB for XML. */
  maxBodyLength?: number;
}

export interface SignatureParams {
  signature: string | null | undefined;
  timestamp: string | null | undefined;
  nonce: string | null | undefined;
  encrypt: string;
}

export interface DecryptedMessage {
  /** The plaintext message (UTF-8 decoded). */
  message: string;
  /** The receiveId found in the frame. */
  receiveId: string;
}

export interface UrlVerificationParams {
  signature: string | null | undefined;
  timestamp: string | null | undefined;
  nonce: string | null | undefined;
  /** The URL-decoded echostr query parameter. */
  echostr: string | null | undefined;
}

export interface CallbackParams {
  signature: string | null | undefined;
  timestamp: string | null | undefined;
  nonce: string | null | undefined;
  /** The raw request body. */
  body: string;
  format: EnvelopeFormat;
}

export interface DecryptedCallback extends DecryptedMessage {
  envelope: InboundEnvelope;
}

export interface ReplyOptions {
  format: EnvelopeFormat;
  /** Seconds since the epoch, as a string. Default: now. */
  timestamp?: string;
  /** Must be the callback request's nonce for AI-bot passive replies. Default: random. */
  nonce?: string;
}

const DIGITS = /^\d{1,15}$/;

/** Shared by the async and the synchronous codec: everything but the provider calls. */
abstract class CodecBase {
  protected readonly token: string;
  protected readonly key: Uint8Array;
  protected readonly receiveId: string | undefined;
  protected readonly provider: CryptoProvider;
  protected readonly window: number | false;
  protected readonly now: () => number;
  protected readonly random: (length: number) => Uint8Array;
  protected readonly maxBody: number | undefined;

  constructor(options: WeComCryptoOptions, defaultProvider: CryptoProvider) {
    if (options === null || typeof options !== 'object') throw new WeComConfigError('options are required');
    const allowed = new Set([
      'token',
      'encodingAESKey',
      'receiveId',
      'provider',
      'timestampWindow',
      'now',
      'random',
      'maxBodyLength',
    ]);
    for (const name of Object.keys(options)) {
      if (!allowed.has(name)) throw new WeComConfigError(`unknown option "${name}"`);
    }
    if (typeof options.token !== 'string' || options.token.length === 0) {
      throw new WeComConfigError('token must be a non-empty string');
    }
    if (options.receiveId !== undefined && typeof options.receiveId !== 'string') {
      throw new WeComConfigError('receiveId must be a string');
    }
    const window = options.timestampWindow ?? 300;
    if (window !== false && !(typeof window === 'number' && window > 0 && Number.isFinite(window))) {
      throw new WeComConfigError('timestampWindow must be a positive number of seconds or false');
    }
    this.token = options.token;
    this.key = decodeEncodingAESKey(options.encodingAESKey);
    this.receiveId = options.receiveId;
    this.provider = options.provider ?? defaultProvider;
    this.window = window;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? ((n) => this.provider.randomBytes(n));
    this.maxBody = options.maxBodyLength;
  }

  /** Redacted: the token and key never reach logs through inspection. */
  toJSON(): Record<string, unknown> {
    return {
      provider: this.provider.name,
      receiveId: this.receiveId,
      token: '[redacted]',
      encodingAESKey: '[redacted]',
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `${this.constructor.name} ${JSON.stringify(this.toJSON())}`;
  }

  protected checkParams(p: { signature: unknown; timestamp: unknown; nonce: unknown }): {
    signature: string;
    timestamp: string;
    nonce: string;
  } {
    if (typeof p.signature !== 'string' || p.signature.length === 0) {
      throw new WeComCryptoError('signature_mismatch', 'missing msg_signature');
    }
    if (typeof p.timestamp !== 'string' || !DIGITS.test(p.timestamp)) {
      throw new WeComCryptoError('timestamp_out_of_window', 'missing or non-numeric timestamp');
    }
    if (typeof p.nonce !== 'string' || p.nonce.length === 0) {
      throw new WeComCryptoError('signature_mismatch', 'missing nonce');
    }
    return { signature: p.signature, timestamp: p.timestamp, nonce: p.nonce };
  }

  protected signatureBase(timestamp: string, nonce: string, encrypt: string): string {
    return signatureBase(this.token, timestamp, nonce, encrypt);
  }

  protected compareSignature(expected: string, given: string, timestamp: string): void {
    if (!this.provider.timingSafeEqual(expected, given)) {
      throw new WeComCryptoError('signature_mismatch', 'msg_signature does not match');
    }
    if (this.window !== false) {
      const skew = Math.abs(this.now() / 1000 - Number(timestamp));
      if (skew > this.window) {
        throw new WeComCryptoError(
          'timestamp_out_of_window',
          `timestamp is ${Math.round(skew)} s away from now`,
        );
      }
    }
  }

  protected ciphertext(encrypt: string): Uint8Array {
    if (typeof encrypt !== 'string' || !isBase64(encrypt)) {
      throw new WeComCryptoError('decode_base64_failed', 'encrypt is not valid base64');
    }
    const data = this.provider.base64Decode(encrypt);
    checkCiphertextLength(data.length);
    return data;
  }

  protected finishDecrypt(raw: Uint8Array): DecryptedMessage {
    const { message, receiveId } = parseFrame(pkcs7Unpad(raw));
    if (this.receiveId !== undefined && receiveId !== this.receiveId) {
      throw new WeComCryptoError('receive_id_mismatch', 'receiveId in the message does not match');
    }
    let text: string;
    try {
      text = utf8Decode(message, true);
    } catch (cause) {
      throw new WeComCryptoError('invalid_buffer', 'message is not valid UTF-8', { cause });
    }
    return { message: text, receiveId };
  }

  protected frame(message: string | Uint8Array): Uint8Array {
    const random = this.random(16);
    const bytes = typeof message === 'string' ? utf8Encode(message) : message;
    return buildFrame(random, bytes, utf8Encode(this.receiveId ?? ''));
  }

  protected parseEnvelope(body: string, format: EnvelopeFormat): InboundEnvelope {
    if (format === 'json') return parseJsonEnvelope(body, this.maxBody ?? DEFAULT_JSON_MAX_LENGTH);
    if (format === 'xml') return parseXmlEnvelope(body, { maxLength: this.maxBody ?? DEFAULT_XML_MAX_BYTES });
    throw new WeComCryptoError('parse_failed', 'unknown envelope format');
  }

  protected replyStamp(options: ReplyOptions): { timestamp: string; nonce: string } {
    const timestamp = options.timestamp ?? String(Math.floor(this.now() / 1000));
    const nonce = options.nonce ?? randomNonce(this.random);
    return { timestamp, nonce };
  }

  protected envelope(
    format: EnvelopeFormat,
    e: { encrypt: string; signature: string; timestamp: string; nonce: string },
  ): string {
    return format === 'xml' ? buildXmlEnvelope(e) : buildJsonEnvelope(e);
  }

  protected mediaKey(aesKey: string | undefined): Uint8Array {
    if (aesKey === undefined) return this.key;
    const trimmed = aesKey.replace(/=+$/, '');
    return decodeEncodingAESKey(trimmed);
  }
}

/** A 10-digit decimal nonce, like the official samples produce. */
function randomNonce(random: (n: number) => Uint8Array): string {
  const bytes = random(8);
  let n = 0;
  for (let i = 0; i < 5; i++) n = n * 256 + bytes[i]!;
  return String(1_000_000_000 + (n % 9_000_000_000));
}

/** The async codec; works with every provider. */
export class WeComCrypto extends CodecBase {
  readonly #aes: AesContext;

  constructor(options: WeComCryptoOptions, defaultProvider: CryptoProvider = webProvider) {
    super(options, defaultProvider);
    this.#aes = this.provider.createAes(this.key, this.key.subarray(0, 16));
  }

  /** msg_signature over token, timestamp, nonce and the encrypted text. */
  async signature(timestamp: string, nonce: string, encrypt: string): Promise<string> {
    return this.provider.sha1Hex(this.signatureBase(timestamp, nonce, encrypt));
  }

  /** Checks the signature in constant time, then the timestamp window. */
  async verifySignature(p: SignatureParams): Promise<void> {
    const { signature, timestamp, nonce } = this.checkParams(p);
    this.compareSignature(await this.signature(timestamp, nonce, p.encrypt), signature, timestamp);
  }

  async encrypt(message: string | Uint8Array): Promise<string> {
    return this.provider.base64Encode(await this.#aes.encrypt(this.frame(message)));
  }

  async decrypt(encrypt: string): Promise<DecryptedMessage> {
    return this.finishDecrypt(await this.#aes.decrypt(this.ciphertext(encrypt)));
  }

  /** URL verification: returns the plaintext to answer with (no quotes, no newline). */
  async verifyUrl(p: UrlVerificationParams): Promise<string> {
    if (typeof p.echostr !== 'string' || p.echostr.length === 0) {
      throw new WeComCryptoError('parse_failed', 'missing echostr');
    }
    await this.verifySignature({ ...p, encrypt: p.echostr });
    return (await this.decrypt(p.echostr)).message;
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
   * IV = key[0..16], PKCS#7 to 32, no frame.
   */
  async decryptMedia(data: Uint8Array, aesKey?: string): Promise<Uint8Array> {
    checkCiphertextLength(data.length);
    const key = this.mediaKey(aesKey);
    const aes = aesKey === undefined ? this.#aes : this.provider.createAes(key, key.subarray(0, 16));
    return pkcs7Unpad(await aes.decrypt(data)).slice();
  }
}

/** The synchronous codec, for providers that can do it (Node). Same checks, same results. */
export class WeComCryptoSync extends CodecBase {
  readonly #aes: SyncAesContext;
  declare protected readonly provider: SyncCryptoProvider;

  constructor(
    options: WeComCryptoOptions & { provider?: SyncCryptoProvider },
    defaultProvider: SyncCryptoProvider,
  ) {
    super(options, defaultProvider);
    this.#aes = this.provider.createAes(this.key, this.key.subarray(0, 16));
  }

  signature(timestamp: string, nonce: string, encrypt: string): string {
    return this.provider.sha1Hex(this.signatureBase(timestamp, nonce, encrypt));
  }

  verifySignature(p: SignatureParams): void {
    const { signature, timestamp, nonce } = this.checkParams(p);
    this.compareSignature(this.signature(timestamp, nonce, p.encrypt), signature, timestamp);
  }

  encrypt(message: string | Uint8Array): string {
    return this.provider.base64Encode(this.#aes.encrypt(this.frame(message)));
  }

  decrypt(encrypt: string): DecryptedMessage {
    return this.finishDecrypt(this.#aes.decrypt(this.ciphertext(encrypt)));
  }

  verifyUrl(p: UrlVerificationParams): string {
    if (typeof p.echostr !== 'string' || p.echostr.length === 0) {
      throw new WeComCryptoError('parse_failed', 'missing echostr');
    }
    this.verifySignature({ ...p, encrypt: p.echostr });
    return this.decrypt(p.echostr).message;
  }

  decryptCallback(p: CallbackParams): DecryptedCallback {
    const envelope = this.parseEnvelope(p.body, p.format);
    this.verifySignature({ ...p, encrypt: envelope.encrypt });
    return { ...this.decrypt(envelope.encrypt), envelope };
  }

  encryptReply(message: string, options: ReplyOptions): string {
    const { timestamp, nonce } = this.replyStamp(options);
    const encrypt = this.encrypt(message);
    return this.envelope(options.format, {
      encrypt,
      signature: this.signature(timestamp, nonce, encrypt),
      timestamp,
      nonce,
    });
  }

  decryptMedia(data: Uint8Array, aesKey?: string): Uint8Array {
    checkCiphertextLength(data.length);
    const key = this.mediaKey(aesKey);
    const aes = aesKey === undefined ? this.#aes : this.provider.createAes(key, key.subarray(0, 16));
    return pkcs7Unpad(aes.decrypt(data)).slice();
  }
}
