/** The Node provider: node:crypto, synchronous. Also fine on Bun and Deno. */
import {
  type Cipher,
  createCipheriv,
  createDecipheriv,
  createHash,
  type Decipher,
  randomFillSync,
  timingSafeEqual,
} from 'node:crypto';
import { WeComCryptoError } from './errors.js';
import type { SyncAesContext, SyncCryptoProvider } from './provider.js';

/**
 * AES-256-CBC on one long-lived OpenSSL context. Creating a context per message costs more than
 * the AES itself for small messages, so the context is kept and each call corrects for the chaining
 * value the previous call left behind: CBC makes block 0 depend only on the previous ciphertext
 * block, so XOR-ing (previous last block ⊕ IV) into block 0 turns the running context into a
 * fresh one. Every call is block-aligned, so the context never holds a partial block.
 */
class NodeAes implements SyncAesContext {
  readonly #iv: Buffer;
  readonly #key: Buffer;
  #cipher: Cipher;
  #decipher: Decipher;
  #encChain: Buffer;
  #decChain: Buffer;

  constructor(key: Uint8Array, iv: Uint8Array) {
    this.#key = Buffer.from(key);
    this.#iv = Buffer.from(iv);
    this.#cipher = createCipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false);
    this.#decipher = createDecipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false);
    this.#encChain = Buffer.from(this.#iv);
    this.#decChain = Buffer.from(this.#iv);
  }

  encrypt(data: Uint8Array): Uint8Array {
    assertBlocks(data.length);
    if (data.length === 0) return new Uint8Array(0);
    const input = Buffer.from(data); // copy: the caller's buffer is not ours to change
    for (let i = 0; i < 16; i++) input[i]! ^= this.#encChain[i]! ^ this.#iv[i]!;
    const out = this.#run(() => this.#cipher.update(input), 'enc');
    out.copy(this.#encChain, 0, out.length - 16);
    return out;
  }

  decrypt(data: Uint8Array): Uint8Array {
    assertBlocks(data.length);
    if (data.length === 0) return new Uint8Array(0);
    const input = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const out = this.#run(() => this.#decipher.update(input), 'dec');
    for (let i = 0; i < 16; i++) out[i]! ^= this.#decChain[i]! ^ this.#iv[i]!;
    input.copy(this.#decChain, 0, input.length - 16);
    return out;
  }

  /** Should OpenSSL ever fail, rebuild the context so its state cannot leak into the next call. */
  #run(step: () => Buffer, which: 'enc' | 'dec'): Buffer {
    try {
      return step();
    } catch (cause) {
      if (which === 'enc') {
        this.#cipher = createCipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false);
        this.#encChain = Buffer.from(this.#iv);
      } else {
        this.#decipher = createDecipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false);
        this.#decChain = Buffer.from(this.#iv);
      }
      throw new WeComCryptoError(
        which === 'enc' ? 'encrypt_failed' : 'decrypt_failed',
        'AES operation failed',
        {
          cause,
        },
      );
    }
  }
}

function assertBlocks(length: number): void {
  if (length % 16 !== 0)
    throw new WeComCryptoError('decrypt_failed', 'data is not a whole number of AES blocks');
}

export const nodeProvider: SyncCryptoProvider = {
  name: 'node',
  sha1Hex(text) {
    return createHash('sha1').update(text, 'utf8').digest('hex');
  },
  createAes(key, iv) {
    return new NodeAes(key, iv);
  },
  randomBytes(length) {
    return randomFillSync(new Uint8Array(length));
  },
  base64Encode(bytes) {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  },
  base64Decode(text) {
    return Buffer.from(text, 'base64');
  },
  timingSafeEqual(a, b) {
    const x = Buffer.from(a, 'utf8');
    const y = Buffer.from(b, 'utf8');
    return x.length === y.length && timingSafeEqual(x, y);
  },
};
