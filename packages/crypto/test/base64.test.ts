/** Every base64 codec the Web provider can pick, held to the same canonical-only rule. */
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Base64Codec, base64, btoaBase64, jsBase64, nativeBase64Codec } from '../src/base64.ts';
import { CANONICAL, NON_CANONICAL } from './base64-cases.ts';
import { hex } from './helpers.ts';
import { bunBinary, denoBinary } from './runtime-bins.ts';

const codecs: Base64Codec[] = [jsBase64, btoaBase64, ...(nativeBase64Codec ? [nativeBase64Codec] : [])];

function pattern(length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 37 + length) & 0xff));
}

describe('the codec chosen at load', () => {
  it('is the native one where the runtime has it, else btoa (Node 20 has btoa but no toBase64)', () => {
    const hasNative = typeof (Uint8Array as unknown as { fromBase64?: unknown }).fromBase64 === 'function';
    expect(base64.name).toBe(hasNative ? 'native' : 'btoa');
  });
});

for (const codec of codecs) {
  describe(`base64 codec: ${codec.name}`, () => {
    it('encodes like Buffer and decodes its own output, lengths 0..100 and across chunk edges', () => {
      const lengths = [...Array.from({ length: 101 }, (_, n) => n), 24_575, 24_576, 24_577, 262_144];
      for (const n of lengths) {
        const data = pattern(n);
        const text = codec.encode(data);
        expect(text, `length ${n}`).toBe(data.toString('base64'));
        expect(hex(codec.decodeStrict(text)!), `length ${n}`).toBe(data.toString('hex'));
      }
    });

    it('refuses every non-canonical string and decodes the canonical ones', () => {
      for (const text of NON_CANONICAL) expect(codec.decodeStrict(text), JSON.stringify(text)).toBeNull();
      for (const [text, bytes] of CANONICAL) expect(hex(codec.decodeStrict(text)!)).toBe(bytes);
    });
  });
}

describe('the native codec on Deno and Bun (real runtimes, the probe run by each)', () => {
  const runs: [string, () => string, (file: string) => string[]][] = [
    ['deno', denoBinary, (file) => ['run', '--quiet', '--no-lock', '--no-config', file]],
    ['bun', bunBinary, (file) => [file]],
  ];
  for (const [name, bin, args] of runs) {
    it(`${name} picks the native codec and holds it to the same rule`, () => {
      const probe = join(import.meta.dirname, 'base64-probe.ts');
      const run = spawnSync(bin(), args(probe), {
        encoding: 'utf8',
        env: {
          ...process.env,
          DENO_DIR: join(tmpdir(), 'wecom-base64-deno'),
          DENO_NO_UPDATE_CHECK: '1',
          BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0',
        },
      });
      expect(run.status, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout.trim().split('\n').pop()!);
      expect(report.name).toBe('native');
      expect(report.accepted).toEqual([]);
      expect(report.canonical).toEqual(CANONICAL.map(([text, bytes]) => [text, bytes]));
      expect(report.encoded).toEqual(CANONICAL.map(([text]) => text));
      expect(report.big).toBe(Buffer.alloc(300_001).toString('base64').length);
      expect(report.roundTrip).toBe(true);
    });
  }
});

describe('SHA-1 in JS (the Web provider’s short-input path)', () => {
  it('matches node:crypto at every length 0..300 and across the 4 KB limit', async () => {
    const { createHash } = await import('node:crypto');
    const { sha1HexJs } = await import('../src/sha1.ts');
    const lengths = [...Array.from({ length: 301 }, (_, n) => n), 4095, 4096, 4097, 70_000];
    for (const n of lengths) {
      const data = pattern(n);
      expect(sha1HexJs(data), `length ${n}`).toBe(createHash('sha1').update(data).digest('hex'));
    }
  });
});
