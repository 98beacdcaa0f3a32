/** The Web Crypto provider (crypto.subtle): Workers, Deno, Bun, browsers, and Node ≥ 20. */
import { base64 } from './base64.js';
import { toHex, utf8Decode, utf8Encode } from './bytes.js';
import { WeComConfigError, WeComCryptoError } from './errors.js';
import type { AesContext, CbcDecipher, CryptoProvider } from './provider.js';
import { sha1HexJs } from './sha1.js';

/** Up to this many UTF-8 bytes, SHA-1 in JS beats a crypto.subtle call (its fixed cost dominates). */
const JS_SHA1_LIMIT = 4096;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  // An environment problem, not a bad request: a config error (HTTP 500) on first use.
  if (!s) throw new WeComConfigError('Web Crypto (crypto.subtle) is not available in this runtime');
  return s;
}

/** Copies into a fresh ArrayBuffer-backed view (subtle rejects SharedArrayBuffer views). */
function own(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(data) as Uint8Array<ArrayBuffer>;
}

/**
 * Web Crypto's AES-CBC always applies 16-byte PKCS#7. WeCom data is pre-padded to 32, so on
 * encrypt the extra block subtle appends is dropped, and on decrypt one block is appended that
 * decrypts to a full 16-byte pad: E_K(0x10×16 ⊕ C_last), which is exactly what encrypting empty
 * data with IV = C_last yields. The built-in unpadding then always succeeds.
 */
class WebAes implements AesContext {
  readonly #rawKey: Uint8Array<ArrayBuffer>;
  readonly #iv: Uint8Array<ArrayBuffer>;
  /** Imported on first use, so a runtime without Web Crypto fails on a call, never in the background. */
  #key: Promise<CryptoKey> | undefined;

  constructor(key: Uint8Array, iv: Uint8Array) {
    this.#rawKey = own(key);
    this.#iv = own(iv);
  }

  #importKey(): Promise<CryptoKey> {
    this.#key ??= subtle().importKey('raw', this.#rawKey, { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']);
    return this.#key;
  }

  async encrypt(data: Uint8Array): Promise<Uint8Array> {
    if (data.length % 16 !== 0) throw new WeComCryptoError('encrypt_failed', 'data is not whole AES blocks');
    const key = await this.#importKey();
    const out = await subtle().encrypt({ name: 'AES-CBC', iv: this.#iv }, key, own(data));
    return new Uint8Array(out, 0, data.length);
  }

  async decrypt(data: Uint8Array): Promise<Uint8Array> {
    return decryptBlocks(() => this.#importKey(), this.#iv, data);
  }
}

/** Decrypts whole blocks chained from `iv`, the built-in unpadding satisfied by one appended block. */
async function decryptBlocks(
  importKey: () => Promise<CryptoKey>,
  iv: Uint8Array<ArrayBuffer>,
  data: Uint8Array,
): Promise<Uint8Array> {
  if (data.length % 16 !== 0) throw new WeComCryptoError('decrypt_failed', 'data is not whole AES blocks');
  if (data.length === 0) return new Uint8Array(0);
  const key = await importKey();
  const last = own(data.subarray(data.length - 16));
  const tail = await subtle().encrypt({ name: 'AES-CBC', iv: last }, key, new Uint8Array(0));
  const input = new Uint8Array(data.length + 16);
  input.set(data);
  input.set(new Uint8Array(tail), data.length);
  return new Uint8Array(await subtle().decrypt({ name: 'AES-CBC', iv }, key, input));
}

/**
 * Web Crypto's AES-CBC is one-shot, so a stream is decrypted chunk by chunk, each chunk chained
 * from the last ciphertext block of the one before (the IV for the first).
 */
class WebCbcDecipher implements CbcDecipher {
  readonly #rawKey: Uint8Array<ArrayBuffer>;
  #key: Promise<CryptoKey> | undefined;
  #chain: Uint8Array<ArrayBuffer>;

  constructor(key: Uint8Array, iv: Uint8Array) {
    this.#rawKey = own(key);
    this.#chain = own(iv);
  }

  #importKey(): Promise<CryptoKey> {
    this.#key ??= subtle().importKey('raw', this.#rawKey, { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']);
    return this.#key;
  }

  async update(data: Uint8Array): Promise<Uint8Array> {
    const out = await decryptBlocks(() => this.#importKey(), this.#chain, data);
    if (data.length > 0) this.#chain = own(data.subarray(data.length - 16));
    return out;
  }
}

export const webProvider: CryptoProvider = {
  name: 'web',
  async sha1Hex(...parts) {
    const data = utf8Encode(parts.join('')) as Uint8Array<ArrayBuffer>; // a fresh ArrayBuffer-backed array
    if (data.length <= JS_SHA1_LIMIT) return sha1HexJs(data);
    return toHex(new Uint8Array(await subtle().digest('SHA-1', data)));
  },
  createAes(key, iv) {
    return new WebAes(key, iv);
  },
  createCbcDecipher(key, iv) {
    return new WebCbcDecipher(key, iv);
  },
  randomBytes(length) {
    return globalThis.crypto.getRandomValues(new Uint8Array(length));
  },
  base64Encode(bytes) {
    return base64.encode(bytes);
  },
  base64Decode(text) {
    const out = base64.decodeStrict(text);
    if (!out) throw new WeComCryptoError('decode_base64_failed', 'invalid base64');
    return out;
  },
  utf8Decode(bytes) {
    try {
      return utf8Decode(bytes, true);
    } catch (cause) {
      throw new WeComCryptoError('invalid_buffer', 'message is not valid UTF-8', { cause });
    }
  },
};
