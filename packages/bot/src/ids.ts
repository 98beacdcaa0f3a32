/** Random identifiers from Web Crypto (available in Node ≥ 20, Workers, Deno, Bun). */
export function randomId(bytes = 16): string {
  const buffer = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buffer);
  let out = '';
  for (const b of buffer) out += b.toString(16).padStart(2, '0');
  return out;
}
