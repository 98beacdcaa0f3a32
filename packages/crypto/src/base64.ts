/** Base64 (RFC 4648 standard alphabet) in plain JS, for runtimes without Buffer. */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!;
  }
  if (i < n) {
    const rest = n - i;
    const v = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]!;
    out += rest === 2 ? `${ALPHABET[(v >> 6) & 63]!}=` : '==';
  }
  return out;
}

/**
 * Decodes base64. Lenient (the default) ignores trailing `=` and leftover bits, which WeCom's
 * EncodingAESKeys need (43 characters, non-canonical tail). Strict accepts only what
 * `base64Encode` produces: length a multiple of 4, at most two trailing `=`, zero leftover bits.
 * Returns null on any character outside the alphabet, or on non-canonical input when strict.
 */
export function base64Decode(text: string, strict = false): Uint8Array | null {
  let end = text.length;
  if (strict && end % 4 !== 0) return null;
  const limit = strict ? Math.max(0, end - 2) : 0;
  while (end > limit && text.charCodeAt(end - 1) === 61) end--;
  const out = new Uint8Array(Math.floor((end * 6) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (strict && (acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}
