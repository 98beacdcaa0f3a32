/**
 * MD5 as hex, from @noble/hashes (runs on every target runtime; Web Crypto has no MD5). Stream
 * images carry the MD5 of their bytes, and keys are scoped by it. Not for security: WeCom asks for
 * a checksum.
 */
import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** The MD5 of `data` (a string is taken as UTF-8) as 32 lower-case hex digits. */
export function md5Hex(data: string | Uint8Array): string {
  return bytesToHex(md5(typeof data === 'string' ? utf8ToBytes(data) : data));
}
