/**
 * WeCom measures text limits in UTF-8 bytes: 2048 for message/send text, 20480 for AI-bot
 * markdown/streams. Lone surrogates count as U+FFFD (3 bytes), exactly as `TextEncoder` sends them.
 */

/** UTF-8 length of `text` (the byte count `TextEncoder` produces), without encoding it. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * The end index of the longest slice of `text` from `start` whose UTF-8 encoding fits in
 * `maxBytes`, never inside a surrogate pair. One pass, no allocation.
 */
function fitEnd(text: string, start: number, maxBytes: number): number {
  let n = 0;
  let i = start;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    let units = 1;
    let bytes: number;
    if (c < 0x80) bytes = 1;
    else if (c < 0x800) bytes = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes = 4;
        units = 2;
      } else bytes = 3;
    } else bytes = 3;
    if (n + bytes > maxBytes) break;
    n += bytes;
    i += units;
  }
  return i;
}

function byteLimit(maxBytes: number): number {
  if (Number.isNaN(maxBytes)) throw new RangeError('maxBytes must be a number');
  return Math.floor(maxBytes);
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, cut on a code-point boundary. */
export function utf8Prefix(text: string, maxBytes: number): string {
  const limit = byteLimit(maxBytes);
  if (limit <= 0) return '';
  if (text.length * 3 <= limit) return text;
  return text.slice(0, fitEnd(text, 0, limit));
}

export interface TruncateOptions {
  /** Appended when the text is cut (counted within the limit), e.g. '…(truncated)'. Default none. */
  marker?: string;
}

export interface Truncated {
  text: string;
  truncated: boolean;
}

/** Keeps the head of `text` within `maxBytes` UTF-8 bytes; the marker, if any, fits inside the limit. */
export function truncateUtf8(text: string, maxBytes: number, options: TruncateOptions = {}): Truncated {
  const limit = byteLimit(maxBytes);
  if (utf8Length(text) <= limit) return { text, truncated: false };
  const marker = options.marker ?? '';
  const room = limit - utf8Length(marker);
  if (room <= 0) return { text: utf8Prefix(marker, limit), truncated: true };
  return { text: utf8Prefix(text, room) + marker, truncated: true };
}

export interface SplitOptions {
  /** Prefer cutting after a newline (default true); otherwise any code-point boundary. */
  preferLines?: boolean;
}

/**
 * Splits `text` into chunks of at most `maxBytes` UTF-8 bytes each, cutting after the last newline
 * that fits (or, failing that, at a code-point boundary). Concatenating the chunks gives `text`.
 * An empty text gives one empty chunk.
 */
export function splitUtf8(text: string, maxBytes: number, options: SplitOptions = {}): string[] {
  const limit = byteLimit(maxBytes);
  // 4 bytes is the longest code point: any smaller limit could not make progress.
  if (!(limit >= 4)) throw new RangeError('maxBytes must be at least 4');
  const preferLines = options.preferLines ?? true;
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = fitEnd(text, start, limit);
    if (end < text.length && preferLines) {
      // Search this chunk only (lastIndexOf would scan back to the start of the text each time).
      for (let i = end - 1; i > start; i--) {
        if (text.charCodeAt(i) === 0x0a) {
          end = i + 1;
          break;
        }
      }
    }
    chunks.push(text.slice(start, end));
    start = end;
  }
  if (chunks.length === 0) chunks.push('');
  return chunks;
}
