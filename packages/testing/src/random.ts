/** Identifiers shaped like WeCom's: unique, random, never derived from secrets. */
import { randomBytes, randomInt } from 'node:crypto';
import { WeComConfigError } from '@maven/wecom-crypto';

let counter = 0;

/** An AI-bot msgid: base64 like `CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=` (unique within the process). */
export function botMsgId(): string {
  counter = (counter + 1) % 0xffffff;
  const bytes = randomBytes(23);
  bytes.writeUIntBE(counter, 0, 3);
  return bytes.toString('base64');
}

/** An app MsgId: a 64-bit decimal, larger than 2^53 like the real ones. */
export function appMsgId(): bigint {
  counter = (counter + 1) % 0xffffff;
  const high = BigInt(randomInt(0x10000000, 0x7fffffff));
  return (high << 32n) | (BigInt(counter) << 8n) | BigInt(randomInt(0, 256));
}

/** A 10-digit decimal nonce, like the official samples send. */
export function randomNonce(): string {
  return String(randomInt(1_000_000_000, 9_999_999_999));
}

/** URL-safe random token of `bytes` bytes. */
export function randomCode(bytes = 18): string {
  return randomBytes(bytes).toString('base64url');
}

/** The 16-byte random frame prefix: from a 16-character ASCII string or 16 bytes. */
export function frameRandom(where: string, value: string | Uint8Array | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  if (bytes.length !== 16) throw new WeComConfigError(`${where}: random must be exactly 16 bytes`);
  return bytes;
}
