/** Identifiers shaped like WeCom's: unique, random, never derived from secrets. */
import { base64Encode, WeComConfigError } from '@maven/wecom-crypto';

let counter = 0;

function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** A uniform integer in [min, max), for spans up to 2^53 (rejection sampling, no modulo bias). */
function randomInt(min: number, max: number): number {
  const span = max - min;
  const limit = 2 ** 53 - (2 ** 53 % span);
  for (;;) {
    const [high, low] = crypto.getRandomValues(new Uint32Array(2)) as unknown as [number, number];
    const value = (high >>> 11) * 2 ** 32 + low;
    if (value < limit) return min + (value % span);
  }
}

/** An AI-bot msgid: base64 like `CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=` (unique within the process). */
export function botMsgId(): string {
  counter = (counter + 1) % 0xffffff;
  const bytes = randomBytes(23);
  bytes.set([counter >>> 16, (counter >>> 8) & 0xff, counter & 0xff], 0);
  return base64Encode(bytes);
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
  return base64Encode(randomBytes(bytes)).replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_');
}

/** The 16-byte random frame prefix: from a 16-character ASCII string or 16 bytes. */
export function frameRandom(where: string, value: string | Uint8Array | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  if (bytes.length !== 16) throw new WeComConfigError(`${where}: random must be exactly 16 bytes`);
  return bytes;
}
