/** WeCom measures text limits in UTF-8 bytes: 2048 for message/send text, 20480 for AI-bot markdown/streams. */

const encoder = new TextEncoder();

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

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, cut on a code-point boundary. */
export function utf8Prefix(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  if (text.length * 3 <= maxBytes || utf8Length(text) <= maxBytes) return text;
  // encodeInto never writes part of a code point, so `read` ends on a boundary.
  const { read } = encoder.encodeInto(text, new Uint8Array(maxBytes));
  return text.slice(0, read);
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
  if (utf8Length(text) <= maxBytes) return { text, truncated: false };
  const marker = options.marker ?? '';
  const room = maxBytes - utf8Length(marker);
  if (room <= 0) return { text: utf8Prefix(marker, maxBytes), truncated: true };
  return { text: utf8Prefix(text, room) + marker, truncated: true };
}

export interface SplitOptions {
  /** Prefer cutting after a newline (default true); otherwise any code-point boundary. */
  preferLines?: boolean;
}

/**
 * Splits `text` into chunks of at most `maxBytes` UTF-8 bytes each, cutting after the last newline
 * that fits (or, failing that, at a code-point boundary). Concatenating the chunks gives `text`.
 */
export function splitUtf8(text: string, maxBytes: number, options: SplitOptions = {}): string[] {
  if (maxBytes < 4) throw new RangeError('maxBytes must be at least 4');
  const preferLines = options.preferLines ?? true;
  const chunks: string[] = [];
  let rest = text;
  while (utf8Length(rest) > maxBytes) {
    let head = utf8Prefix(rest, maxBytes);
    if (preferLines) {
      const nl = head.lastIndexOf('\n');
      if (nl > 0) head = head.slice(0, nl + 1);
    }
    chunks.push(head);
    rest = rest.slice(head.length);
  }
  if (rest.length > 0 || chunks.length === 0) chunks.push(rest);
  return chunks;
}
