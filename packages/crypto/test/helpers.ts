/** Shared test helpers: fixed randomness, typed-error assertions, raw AES and the openssl CLI. */
import { spawnSync } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { expect } from 'vitest';
import {
  CRYPTO_ERROR_CODES,
  type CryptoErrorCode,
  type CryptoProvider,
  isWeComError,
  nodeProvider,
  WeComCryptoError,
  webProvider,
} from '../src/index.node.ts';
import { SET_A } from './vectors.ts';

export const PROVIDERS = [
  ['node', nodeProvider],
  ['web', webProvider],
] as const satisfies ReadonlyArray<readonly [string, CryptoProvider]>;

/** Set A with the CorpID as receiveId and no timestamp window (the vectors are from 2014). */
export const OPTIONS_A = {
  token: SET_A.token,
  encodingAESKey: SET_A.encodingAESKey,
  receiveId: SET_A.receiveId,
  timestampWindow: false,
} as const;

export const KEY_A = Buffer.from(SET_A.keyHex, 'hex');
export const IV_A = KEY_A.subarray(0, 16);

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');

/** A `random` option that yields the given 16 ASCII bytes for the frame (and zeros for nonces). */
export function fixedRandom(ascii: string): (length: number) => Uint8Array {
  const prefix = bytes(ascii);
  if (prefix.length !== 16) throw new Error('fixed random must be 16 bytes');
  return (length) => (length === 16 ? prefix.slice() : new Uint8Array(length));
}

/** The typed error thrown by `run`, asserted to carry `code` and its official errcode. */
export async function expectCryptoError(
  run: () => unknown,
  code: CryptoErrorCode,
): Promise<WeComCryptoError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(WeComCryptoError);
  const error = caught as WeComCryptoError;
  expect(isWeComError(error)).toBe(true);
  expect(error.code).toBe(code);
  expect(error.errcode).toBe(CRYPTO_ERROR_CODES[code]);
  return error;
}

/** Returns the error `run` threw, or fails. */
export async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** A typed error of the family with a known code, or no error at all. */
export function isKnownCryptoError(error: unknown): boolean {
  return error instanceof WeComCryptoError && isWeComError(error) && error.code in CRYPTO_ERROR_CODES;
}

/** Builds an unpadded WeCom frame: random(16) ‖ u32be(len) ‖ message ‖ receiveId. */
export function rawFrame(random: string, message: Uint8Array, receiveId: string): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  return Buffer.concat([Buffer.from(random), length, message, Buffer.from(receiveId)]);
}

/** Appends PKCS#7 padding to a multiple of `block`, written independently of the codec's. */
export function pad(data: Uint8Array, block = 32): Buffer {
  const n = block - (data.length % block);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

/** `openssl enc -aes-256-cbc -nopad` over stdin, in either direction. */
export function openssl(data: Uint8Array, key: Uint8Array, iv: Uint8Array, direction: 'enc' | 'dec'): Buffer {
  const args = ['enc', '-aes-256-cbc', '-K', hex(key), '-iv', hex(iv), '-nopad'];
  if (direction === 'dec') args.push('-d');
  const run = spawnSync('openssl', args, { input: data });
  if (run.status !== 0) throw new Error(`openssl failed: ${run.stderr.toString()}`);
  return run.stdout;
}

/** `openssl sha1` of the given text, as lowercase hex. */
export function opensslSha1(text: string): string {
  const run = spawnSync('openssl', ['sha1', '-r'], { input: text });
  if (run.status !== 0) throw new Error(`openssl failed: ${run.stderr.toString()}`);
  return run.stdout.toString().split(' ')[0]!;
}

/** Decrypts base64 ciphertext with node:crypto directly (fresh context, padding kept): independent of the codec. */
export function rawDecrypt(encodingAESKey: string, encrypt: string): Buffer {
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  const d = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([d.update(Buffer.from(encrypt, 'base64')), d.final()]);
}
