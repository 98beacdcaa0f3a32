import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockTypeOf, md5Hex, sniffMime } from '../src/index.js';
import { fakePng } from './helpers.js';

describe('md5', () => {
  it('matches the RFC 1321 test suite', () => {
    const vectors: [string, string][] = [
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      [
        '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
        '57edf4a22be3c955ac49da2e2107b67a',
      ],
    ];
    for (const [input, digest] of vectors) expect(md5Hex(input)).toBe(digest);
  });

  it('agrees with node:crypto on every length around block boundaries and on random data', () => {
    for (let length = 0; length < 200; length++) {
      const data = randomBytes(length);
      expect(md5Hex(data), String(length)).toBe(createHash('md5').update(data).digest('hex'));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (data) => {
        expect(md5Hex(data)).toBe(createHash('md5').update(data).digest('hex'));
      }),
      { numRuns: 200 },
    );
    const big = randomBytes(3 * 1024 * 1024 + 17);
    expect(md5Hex(big)).toBe(createHash('md5').update(big).digest('hex'));
  });
});

describe('sniffMime', () => {
  const bytes = (...parts: (string | number[])[]) =>
    new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));
  const le = (n: number, width: 2 | 4) => Array.from({ length: width }, (_, i) => (n >>> (8 * i)) & 0xff);
  /** A one-entry stored ZIP: a real local file header, as an OOXML file begins. */
  const zip = (name: string, data: string) =>
    bytes(
      'PK',
      [3, 4, ...le(20, 2), ...le(0, 2), ...le(0, 2), ...le(0, 4), ...le(0, 4)],
      [...le(data.length, 4), ...le(data.length, 4), ...le(name.length, 2), ...le(0, 2)],
      name,
      data,
    );
  const ooxml = (part: string, type: string) =>
    zip(
      '[Content_Types].xml',
      `<?xml version="1.0"?><Types><Override PartName="/${part}" ContentType="application/vnd.openxmlformats-officedocument.${type}.main+xml"/></Types>`,
    );

  it.each([
    [fakePng(), 'image/png'],
    [bytes([0xff, 0xd8, 0xff, 0xe1]), 'image/jpeg'],
    [bytes('GIF89a', [1, 0]), 'image/gif'],
    [bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '), 'image/webp'],
    [bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt '), 'audio/wav'],
    [bytes('BM', Array(20).fill(0)), 'image/bmp'],
    [bytes('%PDF-1.4'), 'application/pdf'],
    [
      ooxml('word/document.xml', 'wordprocessingml.document'),
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ],
    [
      ooxml('xl/workbook.xml', 'spreadsheetml.sheet'),
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ],
    [
      ooxml('ppt/presentation.xml', 'presentationml.presentation'),
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    [zip('other.txt', 'x'), 'application/zip'],
    [bytes([0, 0, 0, 0x20], 'ftypisom'), 'video/mp4'],
    [bytes([0, 0, 0, 0x20], 'ftypqt  '), 'video/quicktime'],
    [bytes([0, 0, 0, 0x20], 'ftypheic'), 'image/heic'],
    [bytes('#!AMR\n'), 'audio/amr'],
    [bytes([2], '#!SILK_V3'), 'audio/silk'],
    [bytes('#!SILK_V3', [0x0c, 0]), 'audio/silk'],
    // An ID3v2 header announcing a tag longer than what follows.
    [bytes('ID3', [4, 0, 0, 0, 0, 0, 100], 'abc'), 'audio/mpeg'],
    // An Ogg page holding a Vorbis identification header.
    [
      bytes(
        'OggS',
        [0, 2],
        Array(8).fill(0),
        le(1, 4),
        le(0, 4),
        [0, 0, 0, 0, 1, 30, 1],
        'vorbis',
        Array(23).fill(0),
      ),
      'audio/ogg',
    ],
    [bytes([0x1f, 0x8b, 8]), 'application/gzip'],
    [bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), 'application/x-cfb'],
  ])('%#: %s', async (input, mime) => {
    expect(await sniffMime(input)).toBe(mime);
  });

  it('returns undefined for text and short input', async () => {
    expect(await sniffMime(bytes('hello world'))).toBeUndefined();
    expect(await sniffMime(new Uint8Array(0))).toBeUndefined();
    expect(await sniffMime(bytes([0x89, 0x50]))).toBeUndefined();
    expect(await sniffMime(bytes('#!SILK'))).toBeUndefined();
  });

  it('maps MIME types to block types', () => {
    expect(blockTypeOf('image/png')).toBe('image');
    expect(blockTypeOf('audio/amr')).toBe('audio');
    expect(blockTypeOf('video/mp4')).toBe('video');
    expect(blockTypeOf('application/pdf')).toBe('file');
  });
});
