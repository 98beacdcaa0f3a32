/**
 * Run by base64.test.ts on Deno and Bun (each runs TypeScript itself): reports which codec the
 * runtime chose and what it made of the cases, as one JSON line.
 */
import { base64 } from '../src/base64.ts';
import { CANONICAL, NON_CANONICAL } from './base64-cases.ts';

const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const data = new Uint8Array(300_001).map((_, i) => (i * 131 + 7) & 0xff);
const big = base64.encode(data);
console.log(
  JSON.stringify({
    name: base64.name,
    accepted: NON_CANONICAL.filter((text) => base64.decodeStrict(text) !== null),
    canonical: CANONICAL.map(([text]) => [
      text,
      base64.decodeStrict(text) && toHex(base64.decodeStrict(text)!),
    ]),
    encoded: CANONICAL.map(([, h]) =>
      base64.encode(new Uint8Array(h.match(/../g)?.map((x) => parseInt(x, 16)) ?? [])),
    ),
    big: big.length,
    roundTrip: toHex(base64.decodeStrict(big) ?? new Uint8Array(0)) === toHex(data),
  }),
);
