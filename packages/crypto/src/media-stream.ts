/**
 * Streamed media decryption: the bytes `decryptMedia` returns, as a Web TransformStream, so a
 * 100 MB file never sits in memory whole. AES-256-CBC chained across chunks; the last 32 decrypted
 * bytes are held back until the end, where WeCom's PKCS#7 (to 32: pad values 1..32) is checked
 * strictly. Errors are those of `decryptMedia`, raised when the stream ends.
 */
import { BLOCK, checkCiphertextLength, padLength } from './codec.js';
import { WeComCryptoError } from './errors.js';
import type { CbcDecipher, CryptoProvider, MaybePromise } from './provider.js';

/** The generic chain for providers without `createCbcDecipher`: block 0 of each call XOR-corrected. */
function chainedAes(provider: CryptoProvider, key: Uint8Array, iv: Uint8Array): CbcDecipher {
  const aes = provider.createAes(key, iv);
  let chain = iv.slice();
  const correct = (out: Uint8Array, previous: Uint8Array): Uint8Array => {
    for (let i = 0; i < 16; i++) out[i]! ^= previous[i]! ^ iv[i]!;
    return out;
  };
  return {
    update(data) {
      if (data.length === 0) return new Uint8Array(0);
      const previous = chain;
      const out = aes.decrypt(data);
      chain = data.slice(data.length - 16);
      return out instanceof Promise ? out.then((o) => correct(o, previous)) : correct(out, previous);
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A TransformStream decrypting WeCom media with `key` (IV = key[0..16]), for any provider. */
export function mediaDecryptStream(
  provider: CryptoProvider,
  key: Uint8Array,
): TransformStream<Uint8Array, Uint8Array> {
  const iv = key.subarray(0, 16);
  const decipher = provider.createCbcDecipher?.(key, iv) ?? chainedAes(provider, key, iv);
  /** Ciphertext of an incomplete block, waiting for the next chunk. */
  let carry: Uint8Array = new Uint8Array(0);
  /** The last ≤ 32 decrypted bytes: they may be padding. */
  let held: Uint8Array = new Uint8Array(0);
  let total = 0;

  const release = (plain: Uint8Array, controller: TransformStreamDefaultController<Uint8Array>): void => {
    if (plain.length >= BLOCK) {
      if (held.length > 0) controller.enqueue(held);
      if (plain.length > BLOCK) controller.enqueue(plain.subarray(0, plain.length - BLOCK));
      held = plain.slice(plain.length - BLOCK);
      return;
    }
    const joined = concat(held, plain);
    if (joined.length > BLOCK) controller.enqueue(joined.subarray(0, joined.length - BLOCK));
    held = joined.subarray(Math.max(0, joined.length - BLOCK));
  };

  /** Releases a decrypted piece now, or when it arrives (Web Crypto). */
  const then = (
    plain: MaybePromise<Uint8Array> | undefined,
    controller: TransformStreamDefaultController<Uint8Array>,
  ): MaybePromise<void> => {
    if (plain instanceof Promise) return plain.then((p) => release(p, controller));
    if (plain) release(plain, controller);
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller): MaybePromise<void> {
      if (!(chunk instanceof Uint8Array))
        throw new WeComCryptoError('decrypt_failed', 'media must be a Uint8Array');
      total += chunk.length;
      // Complete the carried partial block from the chunk's head, rather than copying the chunk.
      let head: Uint8Array | undefined;
      let offset = 0;
      if (carry.length > 0) {
        offset = Math.min(16 - carry.length, chunk.length);
        const joined = concat(carry, chunk.subarray(0, offset));
        if (joined.length < 16) {
          carry = joined;
          return;
        }
        head = joined;
      }
      const whole = offset + (chunk.length - offset - ((chunk.length - offset) % 16));
      carry = chunk.slice(whole);
      const body = chunk.subarray(offset, whole);
      const first = head ? decipher.update(head) : undefined;
      if (first instanceof Promise)
        return first.then((p) => {
          release(p, controller);
          return then(body.length > 0 ? decipher.update(body) : undefined, controller);
        });
      if (first) release(first, controller);
      return then(body.length > 0 ? decipher.update(body) : undefined, controller);
    },
    flush(controller) {
      // Same order of checks as decryptMedia: the length, then the padding.
      checkCiphertextLength(total);
      const pad = padLength(held, BLOCK);
      if (held.length > pad) controller.enqueue(held.subarray(0, held.length - pad));
    },
  });
}
