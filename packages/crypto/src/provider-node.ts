/** The Node provider: node:crypto, synchronous. Also fine on Bun and Deno. */
import { isAscii, isUtf8 } from 'node:buffer';
import {
  type Cipher,
  createCipheriv,
  createDecipheriv,
  createHash,
  type Decipher,
  hash,
  randomFillSync,
} from 'node:crypto';
import { WeComCryptoError } from './errors.js';
import type { CbcDecipher, SyncAesContext, SyncCryptoProvider } from './provider.js';

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * AES-256-CBC on one long-lived OpenSSL context. Creating a context per message costs more than
 * the AES itself for small messages, so the context is kept and each call corrects for the chaining
 * value the previous call left behind: CBC makes block 0 depend only on the previous ciphertext
 * block, so XOR-ing (previous last block ⊕ IV) into block 0 turns the running context into a
 * fresh one. Lengths are checked before `update`, so the context never holds a partial block.
 */
class NodeAes implements SyncAesContext {
  readonly #iv: Buffer;
  readonly #cipher: Cipher;
  readonly #decipher: Decipher;
  /** The last ciphertext block each context has chained to (the IV before the first call). */
  readonly #encChain: Buffer;
  readonly #decChain: Buffer;

  constructor(key: Uint8Array, iv: Uint8Array) {
    this.#iv = Buffer.from(iv);
    this.#cipher = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
    this.#decipher = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
    this.#encChain = Buffer.from(iv);
    this.#decChain = Buffer.from(iv);
  }

  encrypt(data: Uint8Array): Uint8Array {
    if (data.length % 16 !== 0) throw new WeComCryptoError('encrypt_failed', 'data is not whole AES blocks');
    if (data.length === 0) return new Uint8Array(0);
    const input = asBuffer(data);
    const chain = this.#encChain;
    const iv = this.#iv;
    // Correct block 0 in place rather than copying the whole input; the caller's bytes are restored.
    for (let i = 0; i < 16; i++) input[i]! ^= chain[i]! ^ iv[i]!;
    let out: Buffer;
    try {
      out = this.#cipher.update(input);
    } finally {
      for (let i = 0; i < 16; i++) input[i]! ^= chain[i]! ^ iv[i]!;
    }
    for (let i = 0, j = out.length - 16; i < 16; i++, j++) chain[i] = out[j]!;
    return out;
  }

  decrypt(data: Uint8Array): Uint8Array {
    if (data.length % 16 !== 0) throw new WeComCryptoError('decrypt_failed', 'data is not whole AES blocks');
    if (data.length === 0) return new Uint8Array(0);
    const input = asBuffer(data);
    const out = this.#decipher.update(input);
    const chain = this.#decChain;
    const iv = this.#iv;
    for (let i = 0; i < 16; i++) out[i]! ^= chain[i]! ^ iv[i]!;
    for (let i = 0, j = input.length - 16; i < 16; i++, j++) chain[i] = input[j]!;
    return out;
  }
}

const DIGIT_VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) {
  DIGIT_VALUE[c.charCodeAt(0)] = i;
}

/**
 * Whether `text`, which Buffer decoded to `decodedLength` bytes, is canonical standard base64 —
 * the strings the Web provider's strict decoder accepts, checked in O(1) passes instead of a
 * 16 KB regex or a re-encode. Buffer's decoder skips characters outside its alphabet (the length
 * then comes out short), reads a non-ASCII code unit by its low byte, and takes '-' and '_' as
 * URL-safe digits; each check below closes one of those doors, the last one refuses leftover bits.
 */
function isCanonicalBase64(text: string, decodedLength: number): boolean {
  const n = text.length;
  if (n % 4 !== 0) return false;
  const pad = n === 0 || text.charCodeAt(n - 1) !== 61 ? 0 : text.charCodeAt(n - 2) !== 61 ? 1 : 2;
  if (decodedLength !== (n / 4) * 3 - pad) return false;
  if (Buffer.byteLength(text, 'utf8') !== n || text.includes('-') || text.includes('_')) return false;
  if (pad === 0) return true;
  // The digit before the padding carries 2 (one '=') or 4 (two '=') bits that must be zero.
  return (DIGIT_VALUE[text.charCodeAt(n - pad - 1)]! & (pad === 1 ? 3 : 15)) === 0;
}

/** Above this many characters, hashing the parts one by one beats joining them first. */
const JOIN_LIMIT = 8192;

/**
 * SHA-1 of the concatenated parts. The one-shot `crypto.hash` (Node ≥ 20.12, Bun, Deno) skips the
 * Hash object and halves the cost for short inputs; a long input is fed part by part instead, which
 * saves copying a 16 KB body into a joined string first.
 */
function sha1Hex(...parts: string[]): string {
  let length = 0;
  for (const part of parts) length += part.length;
  if (length <= JOIN_LIMIT) return hash('sha1', parts.join(''), 'hex');
  const h = createHash('sha1');
  for (const part of parts) h.update(part, 'utf8');
  return h.digest('hex');
}

/**
 * One randomFillSync per 4 KiB instead of one per call: the 16-byte frame prefix and nonces are
 * taken from a pool (each byte handed out once). Large requests bypass it.
 */
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomBytes(length: number): Uint8Array {
  if (length > POOL_SIZE / 4) return randomFillSync(new Uint8Array(length));
  if (poolOffset + length > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}

export const nodeProvider: SyncCryptoProvider = {
  name: 'node',
  sha1Hex,
  createAes(key, iv) {
    return new NodeAes(key, iv);
  },
  createCbcDecipher(key, iv): CbcDecipher {
    // OpenSSL keeps the chaining value between updates; without padding it holds nothing back.
    const decipher = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
    return {
      update(data) {
        if (data.length % 16 !== 0)
          throw new WeComCryptoError('decrypt_failed', 'data is not whole AES blocks');
        return decipher.update(asBuffer(data));
      },
    };
  },
  randomBytes,
  base64Encode(bytes) {
    return asBuffer(bytes).toString('base64');
  },
  base64Decode(text) {
    const out = Buffer.from(text, 'base64');
    if (!isCanonicalBase64(text, out.length))
      throw new WeComCryptoError('decode_base64_failed', 'invalid base64');
    return out;
  },
  utf8Decode(bytes) {
    const buffer = asBuffer(bytes);
    // Pure ASCII (most JSON and XML) decodes as latin1: the same string, without UTF-8 transcoding.
    if (isAscii(buffer)) return buffer.toString('latin1');
    if (!isUtf8(buffer)) throw new WeComCryptoError('invalid_buffer', 'message is not valid UTF-8');
    return buffer.toString('utf8');
  },
};
