/**
 * The runtime-neutral encoding layer of WXBizMsgCrypt: key decoding, 32-byte PKCS#7, the
 * random ‖ length ‖ message ‖ receiveId frame. Providers only do SHA-1 and raw AES-CBC.
 */
import { base64Decode } from './base64.js';
import { compareCodePoints, concatBytes, utf8Decode, utf8Encode } from './bytes.js';
import { WeComConfigError, WeComCryptoError } from './errors.js';

/** WeCom pads to a multiple of 32 bytes, not AES's 16. */
export const BLOCK = 32;
const RANDOM_LENGTH = 16;
const HEADER = RANDOM_LENGTH + 4;

const KEY_PATTERN = /^[A-Za-z0-9+/]{43}$/;

/** AESKey = Base64_Decode(EncodingAESKey + "="), leniently (official keys have non-canonical tails). */
export function decodeEncodingAESKey(encodingAESKey: string): Uint8Array {
  if (typeof encodingAESKey !== 'string' || !KEY_PATTERN.test(encodingAESKey)) {
    throw new WeComConfigError(
      `encodingAESKey must be exactly 43 base64 characters (got ${typeof encodingAESKey === 'string' ? encodingAESKey.length : typeof encodingAESKey} characters)`,
    );
  }
  const key = base64Decode(`${encodingAESKey}=`);
  // 43 alphabet characters always decode to 32 bytes; the check keeps that an invariant.
  if (key?.length !== 32) throw new WeComConfigError('encodingAESKey does not decode to 32 bytes');
  return key;
}

export function pkcs7Pad(data: Uint8Array, block = BLOCK): Uint8Array {
  const pad = block - (data.length % block);
  const out = new Uint8Array(data.length + pad);
  out.set(data);
  out.fill(pad, data.length);
  return out;
}

/** Strict PKCS#7 removal over a 32-byte block: pad 1..32, all pad bytes equal. */
export function pkcs7Unpad(data: Uint8Array, block = BLOCK): Uint8Array {
  const pad = data.length === 0 ? 0 : data[data.length - 1]!;
  if (pad < 1 || pad > block || pad > data.length) {
    throw new WeComCryptoError('invalid_buffer', 'bad PKCS#7 padding');
  }
  let diff = 0;
  for (let i = data.length - pad; i < data.length; i++) diff |= data[i]! ^ pad;
  if (diff !== 0) throw new WeComCryptoError('invalid_buffer', 'bad PKCS#7 padding');
  return data.subarray(0, data.length - pad);
}

/** Builds the padded plaintext frame: random(16) ‖ u32be(len) ‖ msg ‖ receiveId, PKCS#7 to 32. */
export function buildFrame(random: Uint8Array, message: Uint8Array, receiveId: Uint8Array): Uint8Array {
  if (random.length !== RANDOM_LENGTH) {
    throw new WeComCryptoError('encrypt_failed', 'the random prefix must be 16 bytes');
  }
  const body = HEADER + message.length + receiveId.length;
  const padded = body + (BLOCK - (body % BLOCK));
  const out = new Uint8Array(padded);
  out.set(random, 0);
  new DataView(out.buffer, out.byteOffset).setUint32(RANDOM_LENGTH, message.length, false);
  out.set(message, HEADER);
  out.set(receiveId, HEADER + message.length);
  out.fill(padded - body, body);
  return out;
}

export interface ParsedFrame {
  message: Uint8Array;
  receiveId: string;
}

/** Parses an unpadded frame, bounds-checking the declared message length. */
export function parseFrame(plain: Uint8Array): ParsedFrame {
  if (plain.length < HEADER) throw new WeComCryptoError('invalid_buffer', 'decrypted frame is too short');
  const length = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint32(
    RANDOM_LENGTH,
    false,
  );
  if (length > plain.length - HEADER) {
    throw new WeComCryptoError('invalid_buffer', 'declared message length exceeds the decrypted frame');
  }
  return {
    message: plain.subarray(HEADER, HEADER + length),
    receiveId: utf8Decode(plain.subarray(HEADER + length)),
  };
}

/** Ciphertext must be whole AES blocks and at least one WeCom block (a frame is ≥ 20 bytes). */
export function checkCiphertextLength(length: number): void {
  if (length < BLOCK || length % 16 !== 0) {
    throw new WeComCryptoError('decrypt_failed', 'ciphertext is not a whole number of blocks');
  }
}

/** The string whose SHA-1 is the msg_signature: the four values sorted by byte order, concatenated. */
export function signatureBase(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return [token, timestamp, nonce, encrypt].sort(compareCodePoints).join('');
}

export { concatBytes, utf8Encode };
