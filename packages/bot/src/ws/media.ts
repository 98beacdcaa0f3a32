/**
 * Media of long-connection messages: each image/file/video (also inside `mixed` and `quote`) has
 * its own `aeskey`, and there is no bot-wide EncodingAESKey. The cipher is the webhook media one
 * (AES-256-CBC, key = base64 of aeskey, IV = first 16 key bytes, PKCS#7 to 32 bytes), so the
 * crypto package's `decryptMedia` does it; the codec is built from the aeskey alone.
 */
import { createWeComCrypto } from '@maven/wecom-crypto';

/** Decrypts downloaded media with the message item's own `aeskey` (43 or 44 base64 characters). */
export async function decryptWsMedia(data: Uint8Array, aeskey: string): Promise<Uint8Array> {
  const key = aeskey.length === 44 && aeskey.endsWith('=') ? aeskey.slice(0, 43) : aeskey;
  // The token only signs callbacks, which the long connection has none of.
  return createWeComCrypto({ token: 'long-connection', encodingAESKey: key }).decryptMedia(data, key);
}
