/**
 * Base64 (RFC 4648 standard alphabet) for runtimes without Buffer. The runtime's own codec is used
 * where it has one (`Uint8Array#toBase64` / `Uint8Array.fromBase64`, else `btoa` to encode), picked
 * once at load: the plain-JS encoder costs 12-33 ms for 256 KB. Every variant accepts exactly the
 * same strings when decoding strictly: canonical base64, what the encoder produces.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** An encoder and a strict decoder (null on anything but canonical base64). */
export interface Base64Codec {
  readonly name: 'native' | 'btoa' | 'js';
  encode(bytes: Uint8Array): string;
  decodeStrict(text: string): Uint8Array | null;
}

function jsEncode(bytes: Uint8Array): string {
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

function jsDecode(text: string, strict: boolean): Uint8Array | null {
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

/** The number of trailing `=` (0..2) of a string whose length is a multiple of 4. */
function padOf(text: string, n: number): number {
  if (n === 0 || text.charCodeAt(n - 1) !== 61) return 0;
  return text.charCodeAt(n - 2) === 61 ? 2 : 1;
}

export const jsBase64: Base64Codec = {
  name: 'js',
  encode: jsEncode,
  decodeStrict: (text) => jsDecode(text, true),
};

/** Bytes per btoa call: a multiple of 3 (so the pieces concatenate), small enough for `apply`. */
const CHUNK = 3 * 8192;

/**
 * btoa works on binary strings (one char per byte), built here in chunks. Decoding stays in JS:
 * atob measured slower than the JS loop for 256 KB (Node 20: 31 ms against 3 ms; Deno and Bun no
 * faster), and it is forgiving (whitespace, missing padding, leftover bits) besides.
 */
export const btoaBase64: Base64Codec = {
  name: 'btoa',
  encode(bytes) {
    const parts: string[] = [];
    for (let i = 0; i < bytes.length; i += CHUNK) {
      const chunk = bytes.subarray(i, i + CHUNK);
      parts.push(btoa(String.fromCharCode.apply(null, chunk as unknown as number[])));
    }
    return parts.join('');
  },
  decodeStrict: jsBase64.decodeStrict,
};

/** The TC39 base64 methods (not in TypeScript's ES2023 lib yet). */
interface NativeBase64 {
  fromBase64?: (text: string, options: { lastChunkHandling: 'strict' }) => Uint8Array;
}
type ToBase64 = (this: Uint8Array) => string;

const fromBase64 = (Uint8Array as unknown as NativeBase64).fromBase64;
const toBase64 = (Uint8Array.prototype as unknown as { toBase64?: ToBase64 }).toBase64;

/**
 * `lastChunkHandling: 'strict'` refuses missing padding and leftover bits; only the ASCII
 * whitespace fromBase64 skips is left, and it shows in the decoded length.
 */
function nativeBase64(from: NonNullable<NativeBase64['fromBase64']>, to: ToBase64): Base64Codec {
  return {
    name: 'native',
    encode: (bytes) => to.call(bytes),
    decodeStrict(text) {
      const n = text.length;
      if (n % 4 !== 0) return null;
      let out: Uint8Array;
      try {
        out = from(text, { lastChunkHandling: 'strict' });
      } catch {
        return null;
      }
      return out.length === (n / 4) * 3 - padOf(text, n) ? out : null;
    },
  };
}

/** The native codec when this runtime has one (Deno, Bun, workerd, recent browsers), else undefined. */
export const nativeBase64Codec: Base64Codec | undefined =
  typeof fromBase64 === 'function' && typeof toBase64 === 'function'
    ? nativeBase64(fromBase64, toBase64)
    : undefined;

/** Chosen once: native, else btoa (decoding in JS), else plain JS. */
export const base64: Base64Codec = nativeBase64Codec ?? (typeof btoa === 'function' ? btoaBase64 : jsBase64);

export function base64Encode(bytes: Uint8Array): string {
  return base64.encode(bytes);
}

/**
 * Decodes base64. Lenient (the default) ignores trailing `=` and leftover bits, which WeCom's
 * EncodingAESKeys need (43 characters, non-canonical tail). Strict accepts only what
 * `base64Encode` produces: length a multiple of 4, at most two trailing `=`, zero leftover bits.
 * Returns null on any character outside the alphabet, or on non-canonical input when strict.
 */
export function base64Decode(text: string, strict = false): Uint8Array | null {
  return strict ? base64.decodeStrict(text) : jsDecode(text, false);
}
