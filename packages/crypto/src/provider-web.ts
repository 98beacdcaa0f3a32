/** The Web Crypto provider (crypto.subtle): Workers, Deno, Bun, browsers, and Node ≥ 20. */
import { base64Decode, base64Encode } from './base64.js';
import { concatBytes, timingSafeEqualString, toHex, utf8Encode } from './bytes.js';
import { WeComCryptoError } from './errors.js';
import type { AesContext, CryptoProvider } from './provider.js';

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new WeComCryptoError('decrypt_failed', 'Web Crypto (crypto.subtle) is not available here');
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
 * data with IV = C_last yields.
 */
class WebAes implements AesContext {
  readonly #key: Promise<CryptoKey>;
  readonly #iv: Uint8Array<ArrayBuffer>;

  constructor(key: Uint8Array, iv: Uint8Array) {
    this.#iv = own(iv);
    this.#key = Promise.resolve().then(() =>
      subtle().importKey('raw', own(key), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']),
    );
  }

  async encrypt(data: Uint8Array): Promise<Uint8Array> {
    if (data.length % 16 !== 0) throw new WeComCryptoError('encrypt_failed', 'data is not whole AES blocks');
    const key = await this.#key;
    const out = new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv: this.#iv }, key, own(data)));
    return out.subarray(0, data.length);
  }

  async decrypt(data: Uint8Array): Promise<Uint8Array> {
    if (data.length % 16 !== 0) throw new WeComCryptoError('decrypt_failed', 'data is not whole AES blocks');
    if (data.length === 0) return new Uint8Array(0);
    const key = await this.#key;
    const last = own(data.subarray(data.length - 16));
    const tail = new Uint8Array(
      await subtle().encrypt({ name: 'AES-CBC', iv: last }, key, new Uint8Array(0)),
    );
    try {
      const plain = await subtle().decrypt(
        { name: 'AES-CBC', iv: this.#iv },
        key,
        own(concatBytes(data, tail)),
      );
      return new Uint8Array(plain);
    } catch (cause) {
      throw new WeComCryptoError('decrypt_failed', 'AES operation failed', { cause });
    }
  }
}

export const webProvider: CryptoProvider = {
  name: 'web',
  async sha1Hex(text) {
    return toHex(new Uint8Array(await subtle().digest('SHA-1', own(utf8Encode(text)))));
  },
  createAes(key, iv) {
    return new WebAes(key, iv);
  },
  randomBytes(length) {
    return globalThis.crypto.getRandomValues(new Uint8Array(length));
  },
  base64Encode,
  base64Decode(text) {
    const out = base64Decode(text);
    if (!out) throw new WeComCryptoError('decode_base64_failed', 'invalid base64');
    return out;
  },
  timingSafeEqual: timingSafeEqualString,
};
