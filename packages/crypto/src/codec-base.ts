/**
 * What the async and the synchronous codec share: every check and every encoding step, all but
 * the provider calls. Secrets live in private fields, so neither inspection nor JSON shows them.
 */
import { timingSafeEqualString, utf8Decode, utf8Encode } from './bytes.js';
import {
  buildFrame,
  checkCiphertextLength,
  decodeEncodingAESKey,
  FRAME_HEADER,
  isEncodingAESKey,
  openFrame,
  signatureParts,
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
import { WeComCryptoError } from './errors.js';
import { mediaDecryptStream } from './media-stream.js';
import { resolveOptions, type WeComCryptoOptions } from './options.js';
import type { CryptoProvider } from './provider.js';
import { DEFAULT_XML_MAX_BYTES } from './xml.js';

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
  timestamp?: string | undefined;
  /** Must be the callback request's nonce for AI-bot passive replies. Default: 10 random digits. */
  nonce?: string | undefined;
}

interface CheckedParams {
  signature: string;
  timestamp: string;
  nonce: string;
}

const DIGITS = /^\d{1,15}$/;

/** Whether bytes [start, end) of `data` equal `expected` (receiveIds are public: no constant time needed). */
function equalAt(data: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (data[start + i] !== expected[i]) return false;
  return true;
}

/** A 10-digit decimal nonce, like the official samples produce. */
function randomNonce(random: (n: number) => Uint8Array): string {
  const bytes = random(8);
  let n = 0;
  for (let i = 0; i < 5; i++) n = n * 256 + bytes[i]!;
  return String(1_000_000_000 + (n % 9_000_000_000));
}

export abstract class CodecBase<P extends CryptoProvider> {
  readonly #token: string;
  readonly #receiveId: string | undefined;
  /** UTF-8 of the configured receiveId (or of "" when none): compared on decrypt, written on encrypt. */
  readonly #receiveIdBytes: Uint8Array;
  readonly #window: number | false;
  readonly #now: () => number;
  readonly #random: (length: number) => Uint8Array;
  readonly #maxBodyLength: number | undefined;
  /** The 32-byte AES key, kept for streamed media (each stream has its own chain). */
  readonly #key: Uint8Array;
  protected readonly provider: P;
  /** The long-lived AES context for the configured key (IV = key[0..16]). */
  protected readonly aes: ReturnType<P['createAes']>;

  constructor(options: WeComCryptoOptions, defaultProvider: P) {
    const o = resolveOptions(options, defaultProvider);
    this.#token = o.token;
    this.#receiveId = o.receiveId;
    this.#receiveIdBytes = utf8Encode(o.receiveId ?? '');
    this.#window = o.window;
    this.#now = o.now;
    this.#random = o.random;
    this.#maxBodyLength = o.maxBodyLength;
    this.provider = o.provider;
    this.#key = o.key;
    this.aes = this.provider.createAes(o.key, o.key.subarray(0, 16)) as ReturnType<P['createAes']>;
  }

  /** Redacted: the token and key never reach logs through inspection. */
  toJSON(): Record<string, unknown> {
    return {
      provider: this.provider.name,
      receiveId: this.#receiveId,
      token: '[redacted]',
      encodingAESKey: '[redacted]',
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `${this.constructor.name} ${JSON.stringify(this.toJSON())}`;
  }

  protected checkParams(p: SignatureParams): CheckedParams {
    if (typeof p.signature !== 'string' || p.signature.length === 0) {
      throw new WeComCryptoError('signature_mismatch', 'missing msg_signature');
    }
    if (typeof p.timestamp !== 'string' || !DIGITS.test(p.timestamp)) {
      throw new WeComCryptoError('timestamp_out_of_window', 'missing or non-numeric timestamp');
    }
    if (typeof p.nonce !== 'string' || p.nonce.length === 0) {
      throw new WeComCryptoError('signature_mismatch', 'missing nonce');
    }
    if (typeof p.encrypt !== 'string') throw new WeComCryptoError('parse_failed', 'encrypt must be a string');
    return { signature: p.signature, timestamp: p.timestamp, nonce: p.nonce };
  }

  /** The sorted values to hash; passed as parts so a provider can hash a 16 KB body without joining it. */
  protected signatureParts(timestamp: string, nonce: string, encrypt: string): string[] {
    return signatureParts(this.#token, timestamp, nonce, encrypt);
  }

  /** Signature first, in constant time; the clock only matters for a genuine request. */
  protected compareSignature(expected: string, p: CheckedParams): void {
    if (!timingSafeEqualString(expected, p.signature)) {
      throw new WeComCryptoError('signature_mismatch', 'msg_signature does not match');
    }
    this.checkTimestamp(p.timestamp);
  }

  /**
   * The timestamp window alone (throws `timestamp_out_of_window`), for a caller that already
   * compared a signature it computed with `signature()`.
   */
  checkTimestamp(timestamp: string): void {
    if (typeof timestamp !== 'string' || !DIGITS.test(timestamp)) {
      throw new WeComCryptoError('timestamp_out_of_window', 'missing or non-numeric timestamp');
    }
    if (this.#window !== false) {
      const skew = Math.abs(this.#now() / 1000 - Number(timestamp));
      if (skew > this.#window) {
        throw new WeComCryptoError(
          'timestamp_out_of_window',
          `timestamp is ${Math.round(skew)} s away from now`,
        );
      }
    }
  }

  protected ciphertext(encrypt: string): Uint8Array {
    if (typeof encrypt !== 'string')
      throw new WeComCryptoError('decode_base64_failed', 'encrypt must be a string');
    const data = this.provider.base64Decode(encrypt);
    checkCiphertextLength(data.length);
    return data;
  }

  protected finishDecrypt(raw: Uint8Array): DecryptedMessage {
    const { messageEnd, end } = openFrame(raw);
    let receiveId: string;
    if (this.#receiveId === undefined) {
      receiveId = utf8Decode(raw.subarray(messageEnd, end));
    } else if (equalAt(raw, messageEnd, end, this.#receiveIdBytes)) {
      receiveId = this.#receiveId;
    } else {
      throw new WeComCryptoError('receive_id_mismatch', 'receiveId in the message does not match');
    }
    return { message: this.provider.utf8Decode(raw.subarray(FRAME_HEADER, messageEnd)), receiveId };
  }

  protected frame(message: string | Uint8Array): Uint8Array {
    let bytes: Uint8Array;
    if (typeof message === 'string') bytes = utf8Encode(message);
    else if (message instanceof Uint8Array) bytes = message;
    else throw new WeComCryptoError('encrypt_failed', 'message must be a string or a Uint8Array');
    return buildFrame(this.#random(16), bytes, this.#receiveIdBytes);
  }

  protected parseEnvelope(body: string, format: EnvelopeFormat): InboundEnvelope {
    if (format === 'json') return parseJsonEnvelope(body, this.#maxBodyLength ?? DEFAULT_JSON_MAX_LENGTH);
    if (format === 'xml')
      return parseXmlEnvelope(body, { maxLength: this.#maxBodyLength ?? DEFAULT_XML_MAX_BYTES });
    throw new WeComCryptoError('parse_failed', 'unknown envelope format');
  }

  protected replyStamp(options: ReplyOptions): { timestamp: string; nonce: string } {
    const timestamp = options.timestamp ?? String(Math.floor(this.#now() / 1000));
    const nonce = options.nonce ?? randomNonce(this.#random);
    return { timestamp, nonce };
  }

  protected envelope(format: EnvelopeFormat, e: CheckedParams & { encrypt: string }): string {
    if (format === 'json') return buildJsonEnvelope(e);
    if (format === 'xml') return buildXmlEnvelope(e);
    throw new WeComCryptoError('gen_return_failed', 'unknown envelope format');
  }

  /** The key for media: the bot's own, or a per-item `aeskey` (43 characters, or 44 with `=`). */
  #mediaKey(aesKey: string | undefined): Uint8Array | undefined {
    if (aesKey === undefined) return undefined;
    const text =
      typeof aesKey === 'string' && aesKey.length === 44 && aesKey.endsWith('=')
        ? aesKey.slice(0, 43)
        : aesKey;
    if (!isEncodingAESKey(text))
      throw new WeComCryptoError('invalid_aes_key', 'aeskey must be 43 or 44 base64 characters');
    return decodeEncodingAESKey(text);
  }

  /** The AES context for media: the bot's own, or one for a per-item `aeskey`. */
  protected mediaAes(data: Uint8Array, aesKey: string | undefined): ReturnType<P['createAes']> {
    if (!(data instanceof Uint8Array))
      throw new WeComCryptoError('decrypt_failed', 'media must be a Uint8Array');
    checkCiphertextLength(data.length);
    const key = this.#mediaKey(aesKey);
    if (key === undefined) return this.aes;
    return this.provider.createAes(key, key.subarray(0, 16)) as ReturnType<P['createAes']>;
  }

  /**
   * `decryptMedia` as a stream: pipe the encrypted download through it, read the decrypted bytes.
   * A bad `aeskey` throws here; a truncated or badly padded file errors the stream at its end.
   */
  decryptMediaStream(aesKey?: string): TransformStream<Uint8Array, Uint8Array> {
    return mediaDecryptStream(this.provider, this.#mediaKey(aesKey) ?? this.#key);
  }
}
