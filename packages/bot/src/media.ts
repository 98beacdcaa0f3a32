/**
 * Media of AI-bot messages: download with a timeout and a streamed size cap (https only by
 * default), decrypt with the bot key (or the item's aeskey), sniff the MIME type from the decrypted
 * bytes. A failure is a typed error; an encrypted URL is never handed onwards as if it were media.
 */

import { type HttpClient, isWeComError, WeComHttpError, WeComRequestError } from '@maven/wecom-core';
import { base64Encode, type WeComCrypto } from '@maven/wecom-crypto';
import { WeComBotError } from './errors.js';
import { blockTypeOf, sniffMime } from './sniff.js';
import type { MediaRef } from './types.js';

/** A block as multimodal model APIs take it: base64 data with its MIME type. */
export interface MediaBlock {
  type: 'image' | 'audio' | 'video' | 'file';
  mimeType: string;
  /** Base64 (standard alphabet, padded) of the decrypted bytes. */
  data: string;
}

export interface MediaFile {
  /** Decrypted bytes. */
  bytes: Uint8Array;
  /** Sniffed from the bytes; else the download's Content-Type; else application/octet-stream. */
  mime: string;
  base64: string;
  /** From Content-Disposition, when the CDN sent one. */
  filename?: string;
  block: MediaBlock;
}

export interface MediaDownloadOptions {
  maxBytes: number;
  protocols: readonly string[];
  hosts: readonly string[] | undefined;
  timeoutMs: number;
}

/** What `downloadMedia` accepts: a URL, a media item of a message, or a message with media. */
export type MediaSource = string | MediaRef | { media: readonly MediaRef[] };

function toRef(source: MediaSource): MediaRef {
  if (typeof source === 'string') return { kind: 'file', url: source };
  if ('media' in source) {
    const first = source.media[0];
    if (!first) throw new WeComBotError('no_media', 'the message has no media');
    return first;
  }
  return source;
}

/** The media item of `source`, which must carry a URL (media_id items cannot be fetched by AI bots). */
export function urlRef(source: MediaSource): MediaRef & { url: string } {
  const ref = toRef(source);
  if (!ref.url) {
    if (ref.mediaId) {
      throw new WeComBotError(
        'media_id_unsupported',
        `this ${ref.kind} carries only a media_id; AI bots in API mode have no access token to fetch it (only URL media can be downloaded)`,
      );
    }
    throw new WeComBotError('no_media', `this ${ref.kind} has no URL`);
  }
  return ref as MediaRef & { url: string };
}

export function filenameOf(headers: Headers): string | undefined {
  const cd = headers.get('content-disposition');
  if (!cd) return undefined;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(cd);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(cd);
  return plain?.[1]?.trim() || undefined;
}

export async function downloadMedia(
  source: MediaSource,
  deps: { http: HttpClient; crypto: WeComCrypto; options: MediaDownloadOptions },
): Promise<MediaFile> {
  const ref = urlRef(source);
  const { options } = deps;
  let downloaded: Awaited<ReturnType<HttpClient['download']>>;
  try {
    downloaded = await deps.http.download(ref.url, {
      maxBytes: options.maxBytes,
      protocols: options.protocols,
      timeoutMs: options.timeoutMs,
      ...(options.hosts ? { hosts: options.hosts } : {}),
    });
  } catch (cause) {
    if (cause instanceof WeComRequestError && cause.code === 'forbidden') {
      throw new WeComBotError('media_url_forbidden', cause.message, { cause });
    }
    if (cause instanceof WeComRequestError && cause.code === 'body_too_large') {
      throw new WeComBotError('media_too_large', `media exceeds ${options.maxBytes} bytes`, { cause });
    }
    if (cause instanceof WeComRequestError && cause.code === 'bad_request') {
      throw new WeComBotError('media_url_forbidden', 'the media URL is not a valid URL', { cause });
    }
    const detail =
      cause instanceof WeComHttpError
        ? `HTTP ${cause.httpStatus}`
        : isWeComError(cause)
          ? cause.code
          : 'error';
    throw new WeComBotError('media_download_failed', `media download failed (${detail})`, { cause });
  }
  let bytes: Uint8Array;
  try {
    bytes = await deps.crypto.decryptMedia(downloaded.bytes, ref.aeskey);
  } catch (cause) {
    throw new WeComBotError('media_decrypt_failed', 'media did not decrypt with the bot key', { cause });
  }
  const declared = downloaded.contentType;
  const mime =
    (await sniffMime(bytes)) ??
    (declared && declared !== 'application/octet-stream' ? declared : 'application/octet-stream');
  const base64 = base64Encode(bytes);
  const filename = filenameOf(downloaded.headers);
  return {
    bytes,
    mime,
    base64,
    ...(filename ? { filename } : {}),
    block: { type: blockTypeOf(mime), mimeType: mime, data: base64 },
  };
}
