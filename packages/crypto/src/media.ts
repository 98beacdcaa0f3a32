/**
 * Media encryption as WeCom's media CDN does it, the inverse of `decryptMedia`: AES-256-CBC with a
 * 32-byte key, IV = key[0..16], PKCS#7 padding to 32, no frame. The simulator serves media this way.
 */
import { pkcs7Pad } from './codec.js';
import { WeComCryptoError } from './errors.js';
import type { CryptoProvider, MaybePromise, SyncCryptoProvider } from './provider.js';

export function encryptMedia(bytes: Uint8Array, key: Uint8Array, provider: SyncCryptoProvider): Uint8Array;
export function encryptMedia(
  bytes: Uint8Array,
  key: Uint8Array,
  provider: CryptoProvider,
): MaybePromise<Uint8Array>;
export function encryptMedia(
  bytes: Uint8Array,
  key: Uint8Array,
  provider: CryptoProvider,
): MaybePromise<Uint8Array> {
  if (!(bytes instanceof Uint8Array))
    throw new WeComCryptoError('encrypt_failed', 'media must be a Uint8Array');
  if (!(key instanceof Uint8Array) || key.length !== 32)
    throw new WeComCryptoError('invalid_aes_key', 'the media key must be 32 bytes');
  return provider.createAes(key, key.subarray(0, 16)).encrypt(pkcs7Pad(bytes));
}
