/**
 * Random identifiers from Web Crypto (available in Node ≥ 20, Workers, Deno, Bun). One
 * getRandomValues call fills a 4 KiB pool that serves about 256 ids (each byte handed out once):
 * a call per id cost more than the rest of a callback's bookkeeping.
 */
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let offset = POOL_SIZE;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function randomId(bytes = 16): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > POOL_SIZE) throw new RangeError('bytes out of range');
  if (offset + bytes > POOL_SIZE) {
    globalThis.crypto.getRandomValues(pool);
    offset = 0;
  }
  let out = '';
  for (let i = offset, end = offset + bytes; i < end; i++) out += HEX[pool[i]!];
  offset += bytes;
  return out;
}
