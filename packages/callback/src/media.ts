/** Media helpers: MIME types and file extensions (mime), documented size limits, Content-Disposition names. */
import mime from 'mime';
import { WeComMediaTooLargeError, WeComMessageError } from './errors.js';

export type MediaType = 'image' | 'voice' | 'video' | 'file';

const MiB = 1024 * 1024;

/**
 * Upload limits from docs/protocol.md §4.7. Images: 10 MB in current copies of the doc (older copies
 * say 2 MB); WeCom has the final word and answers 45001 when a file is too large.
 */
export const MEDIA_LIMITS: Readonly<Record<MediaType, number>> = Object.freeze({
  image: 10 * MiB,
  voice: 2 * MiB,
  video: 10 * MiB,
  file: 20 * MiB,
});

/** media/uploadimg (permanent image URL): 2 MB. */
export const UPLOADIMG_LIMIT = 2 * MiB;

/** WeCom refuses files of 5 bytes or less. */
export const MEDIA_MIN_BYTES = 6;

export function isMediaType(value: unknown): value is MediaType {
  return value === 'image' || value === 'voice' || value === 'video' || value === 'file';
}

/** The Content-Type to upload with: the explicit one, else from the file name, else octet-stream. */
export function contentTypeFor(filename: string, explicit?: string): string {
  if (explicit !== undefined && explicit.length > 0) return explicit;
  return mime.getType(filename) ?? 'application/octet-stream';
}

/** Adds the extension of `contentType` to a file name that has none (WeCom shows the name as given). */
export function withExtension(filename: string, contentType: string): string {
  if (/\.[A-Za-z0-9]{1,8}$/.test(filename)) return filename;
  const ext = mime.getExtension(contentType.split(';', 1)[0]!.trim());
  return ext ? `${filename}.${ext}` : filename;
}

/** Throws WeComMessageError for a bad type or name, WeComMediaTooLargeError over the limit. */
export function checkUpload(
  type: MediaType,
  size: number,
  filename: string,
  limit: number = MEDIA_LIMITS[type],
): void {
  if (!isMediaType(type)) throw new WeComMessageError('media type must be image, voice, video or file');
  if (typeof filename !== 'string' || filename.trim().length === 0 || /[\r\n"]/.test(filename)) {
    throw new WeComMessageError('media filename must be a non-empty name without quotes or line breaks');
  }
  if (size < MEDIA_MIN_BYTES) throw new WeComMessageError('WeCom refuses media of 5 bytes or less');
  if (size > limit) throw new WeComMediaTooLargeError(type, size, limit);
}

/** Header values arrive as byte strings: UTF-8 file names show up as Latin-1 characters. */
function fromLatin1(value: string): string {
  const codes = Array.from(value, (c) => c.charCodeAt(0));
  if (!codes.some((c) => c >= 0x80) || codes.some((c) => c > 0xff)) return value;
  const bytes = Uint8Array.from(codes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return value;
  }
}

/** The file name of a `Content-Disposition` header (`filename*=` preferred), if any. */
export function filenameFromDisposition(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (extended?.[2] !== undefined) {
    try {
      return decodeURIComponent(extended[2].trim());
    } catch {
      // fall through to the plain parameter
    }
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header);
  if (quoted?.[1] !== undefined) return fromLatin1(quoted[1].replace(/\\(.)/g, '$1'));
  const bare = /filename\s*=\s*([^;\s]+)/i.exec(header);
  return bare?.[1] === undefined ? undefined : fromLatin1(bare[1]);
}
