/**
 * The encrypted media CDN of AI-bot callbacks (docs/protocol.md §2.3): bytes stored AES-256-CBC
 * encrypted with the bot's AESKey (IV = key[0..16], PKCS#7 to 32, no frame), URLs valid 5 minutes.
 */
import { checkKeys } from '@maven/wecom-core';
import { decodeEncodingAESKey, encryptMedia, nodeProvider, WeComConfigError } from '@maven/wecom-crypto/node';
import { randomCode } from '../random.js';

export const MEDIA_URL_TTL_MS = 5 * 60 * 1000;

export interface PutMediaOptions {
  /** The bot's EncodingAESKey (callback mode). */
  encodingAESKey?: string;
  /** A per-URL base64 `aeskey` (long-connection mode); used instead of the EncodingAESKey. */
  aesKey?: string;
  /** Default `application/octet-stream`. */
  contentType?: string;
  /** Sent as `Content-Disposition: attachment; filename="…"`. */
  filename?: string;
  /** Lifetime of the URL. Default 5 minutes. */
  ttlMs?: number;
}

export interface StoredMedia {
  id: string;
  encrypted: Buffer;
  contentType: string;
  filename?: string;
  expiresAt: number;
}

function keyOf(options: PutMediaOptions): Uint8Array {
  if (options.aesKey !== undefined) {
    const key = Buffer.from(options.aesKey, 'base64');
    if (key.length !== 32) throw new WeComConfigError('putMedia: aesKey must be base64 of 32 bytes');
    return key;
  }
  if (options.encodingAESKey === undefined)
    throw new WeComConfigError('putMedia: encodingAESKey or aesKey is required');
  return decodeEncodingAESKey(options.encodingAESKey);
}

export class MediaCdn {
  readonly #items = new Map<string, StoredMedia>();

  constructor(private readonly now: () => number) {}

  put(bytes: Uint8Array, options: PutMediaOptions): StoredMedia {
    checkKeys('putMedia', options, ['encodingAESKey', 'aesKey', 'contentType', 'filename', 'ttlMs']);
    if (!(bytes instanceof Uint8Array)) throw new WeComConfigError('putMedia: bytes must be a Uint8Array');
    const item: StoredMedia = {
      id: randomCode(16),
      encrypted: Buffer.from(encryptMedia(bytes, keyOf(options), nodeProvider)),
      contentType: options.contentType ?? 'application/octet-stream',
      expiresAt: this.now() + (options.ttlMs ?? MEDIA_URL_TTL_MS),
    };
    if (options.filename !== undefined) item.filename = options.filename;
    this.#items.set(item.id, item);
    return item;
  }

  get(id: string): StoredMedia | 'expired' | undefined {
    const item = this.#items.get(id);
    if (item === undefined) return undefined;
    return this.now() >= item.expiresAt ? 'expired' : item;
  }
}
