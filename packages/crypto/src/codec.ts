/**
 * The runtime-neutral encoding layer of WXBizMsgCrypt: key decoding, 32-byte PKCS#7, the
 * random ‖ length ‖ message ‖ receiveId frame. Providers only do SHA-1 and raw AES-CBC.
 */
import { base64Decode } from './base64.js';
import { compareCodePoints } from './bytes.js';
import { WeComConfigError, WeComCryptoError } from './errors.js';

/** WeCom pads to a multiple of 32 bytes, not AES's 16. */
export const BLOCK = 32;
const RANDOM_LENGTH = 16;
/** random(16) ‖ msg_len(4): where the message starts. */
export const FRAME_HEADER = RANDOM_LENGTH + 4;

const KEY_PATTERN = /^[A-Za-z0-9+/]{43}$/;

/** True when `text` is 43 base64 characters, the shape of an EncodingAESKey. */
export function isEncodingAESKey(text: unknown): text is string {
  return typeof text === 'string' && KEY_PATTERN.test(text);
}

/**
 * AESKey = Base64_Decode(EncodingAESKey + "="), leniently (official keys have non-canonical tails):
 * 43 alphabet characters always decode to exactly 32 bytes.
 */
export function decodeEncodingAESKey(encodingAESKey: unknown): Uint8Array {
  if (!isEncodingAESKey(encodingAESKey)) {
    const got =
      typeof encodingAESKey === 'string' ? `${encodingAESKey.length} characters` : typeof encodingAESKey;
    throw new WeComConfigError(`encodingAESKey must be exactly 43 base64 characters (got ${got})`);
  }
  return base64Decode(encodingAESKey)!;
}

export function pkcs7Pad(data: Uint8Array, block = BLOCK): Uint8Array {
  const pad = block - (data.length % block);
  const out = new Uint8Array(data.length + pad);
  out.set(data);
  out.fill(pad, data.length);
  return out;
}

/** The pad length of PKCS#7 data over a 32-byte block, checked strictly: 1..32, all pad bytes equal. */
export function padLength(data: Uint8Array, block: number): number {
  const pad = data.length === 0 ? 0 : data[data.length - 1]!;
  if (pad < 1 || pad > block || pad > data.length) {
    throw new WeComCryptoError('invalid_buffer', 'bad PKCS#7 padding');
  }
  let diff = 0;
  for (let i = data.length - pad; i < data.length; i++) diff |= data[i]! ^ pad;
  if (diff !== 0) throw new WeComCryptoError('invalid_buffer', 'bad PKCS#7 padding');
  return pad;
}

/** Strict PKCS#7 removal over a 32-byte block. Returns a view. */
export function pkcs7Unpad(data: Uint8Array, block = BLOCK): Uint8Array {
  return data.subarray(0, data.length - padLength(data, block));
}

/** Builds the padded plaintext frame: random(16) ‖ u32be(len) ‖ msg ‖ receiveId, PKCS#7 to 32. */
export function buildFrame(random: Uint8Array, message: Uint8Array, receiveId: Uint8Array): Uint8Array {
  if (random.length !== RANDOM_LENGTH) {
    throw new WeComCryptoError('encrypt_failed', 'the random prefix must be 16 bytes');
  }
  const length = message.length;
  const body = FRAME_HEADER + length + receiveId.length;
  const padded = body + (BLOCK - (body % BLOCK));
  const out = new Uint8Array(padded);
  out.set(random, 0);
  out[16] = length >>> 24;
  out[17] = (length >>> 16) & 0xff;
  out[18] = (length >>> 8) & 0xff;
  out[19] = length & 0xff;
  out.set(message, FRAME_HEADER);
  out.set(receiveId, FRAME_HEADER + length);
  out.fill(padded - body, body);
  return out;
}

export interface ParsedFrame {
  random: Uint8Array;
  message: Uint8Array;
  /** The trailing bytes after the message: the receiveId, still UTF-8 encoded. */
  receiveId: Uint8Array;
}

/** Where the message ends in a frame whose first `end` bytes are the unpadded frame. */
function messageEnd(frame: Uint8Array, end: number): number {
  if (end < FRAME_HEADER) throw new WeComCryptoError('invalid_buffer', 'decrypted frame is too short');
  const length = ((frame[16]! << 24) | (frame[17]! << 16) | (frame[18]! << 8) | frame[19]!) >>> 0;
  if (length > end - FRAME_HEADER) {
    throw new WeComCryptoError('invalid_buffer', 'declared message length exceeds the decrypted frame');
  }
  return FRAME_HEADER + length;
}

/** Parses an unpadded frame, bounds-checking the declared message length. Views, no copies. */
export function parseFrame(plain: Uint8Array): ParsedFrame {
  const end = messageEnd(plain, plain.length);
  return {
    random: plain.subarray(0, RANDOM_LENGTH),
    message: plain.subarray(FRAME_HEADER, end),
    receiveId: plain.subarray(end),
  };
}

/**
 * The codec's path: checks the padding and the frame of decrypted data in place and returns the
 * bounds, message = [FRAME_HEADER, messageEnd), receiveId = [messageEnd, end), without making views.
 */
export function openFrame(raw: Uint8Array): { messageEnd: number; end: number } {
  const end = raw.length - padLength(raw, BLOCK);
  return { messageEnd: messageEnd(raw, end), end };
}

/** Ciphertext must be whole AES blocks and at least one WeCom block (a frame is ≥ 20 bytes). */
export function checkCiphertextLength(length: number): void {
  if (length < BLOCK || length % 16 !== 0) {
    throw new WeComCryptoError('decrypt_failed', 'ciphertext is not a whole number of blocks');
  }
}

/**
 * The four values of a msg_signature, sorted by byte order (code point order). A five-comparison
 * sorting network instead of Array#sort: this runs on every request.
 */
export function signatureParts(token: string, timestamp: string, nonce: string, encrypt: string): string[] {
  let [a, b, c, d] = [token, timestamp, nonce, encrypt];
  if (compareCodePoints(a, b) > 0) [a, b] = [b, a];
  if (compareCodePoints(c, d) > 0) [c, d] = [d, c];
  if (compareCodePoints(a, c) > 0) [a, c] = [c, a];
  if (compareCodePoints(b, d) > 0) [b, d] = [d, b];
  if (compareCodePoints(b, c) > 0) [b, c] = [c, b];
  return [a, b, c, d];
}

/** The string whose SHA-1 is the msg_signature: the four values sorted by byte order, concatenated. */
export function signatureBase(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return signatureParts(token, timestamp, nonce, encrypt).join('');
}
