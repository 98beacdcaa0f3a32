/** The plain-JS byte helpers the Web provider relies on. */
import { describe, expect, it } from 'vitest';
import {
  base64Decode,
  base64Encode,
  compareCodePoints,
  decodeEncodingAESKey,
  isEncodingAESKey,
  timingSafeEqualBytes,
  timingSafeEqualString,
  utf8Decode,
  utf8Encode,
} from '../src/index.node.ts';
import { hex, OPTIONS_A } from './helpers.ts';
import { SET_A } from './vectors.ts';

describe('base64 (plain JS)', () => {
  it('encodes like Buffer and decodes leniently and strictly, lengths 0..100', () => {
    for (let n = 0; n <= 100; n++) {
      const data = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      const text = base64Encode(data);
      expect(text).toBe(data.toString('base64'));
      expect(hex(base64Decode(text)!)).toBe(data.toString('hex'));
      expect(hex(base64Decode(text, true)!)).toBe(data.toString('hex'));
    }
  });

  it('lenient decoding ignores the padding and leftover bits (EncodingAESKeys need it)', () => {
    expect(hex(base64Decode('YR')!)).toBe('61');
    expect(hex(base64Decode('YR==')!)).toBe('61');
    expect(base64Decode('YR==', true)).toBeNull();
    expect(base64Decode('YQ', true)).toBeNull();
    expect(base64Decode('Y!==')).toBeNull();
    expect(base64Decode('Y\u00e9==')).toBeNull();
  });

  it('decodes the official EncodingAESKey to the documented AESKey', () => {
    expect(isEncodingAESKey(SET_A.encodingAESKey)).toBe(true);
    expect(isEncodingAESKey(`${SET_A.encodingAESKey}=`)).toBe(false);
    expect(isEncodingAESKey(42)).toBe(false);
    expect(hex(decodeEncodingAESKey(OPTIONS_A.encodingAESKey))).toBe(SET_A.keyHex);
  });
});

describe('comparisons', () => {
  it('timingSafeEqualString and timingSafeEqualBytes', () => {
    expect(timingSafeEqualString('abc', 'abc')).toBe(true);
    expect(timingSafeEqualString('abc', 'abd')).toBe(false);
    expect(timingSafeEqualString('abc', 'ab')).toBe(false);
    expect(timingSafeEqualString('', '')).toBe(true);
    expect(timingSafeEqualBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(timingSafeEqualBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(timingSafeEqualBytes(Uint8Array.of(1, 2), Uint8Array.of(1))).toBe(false);
  });

  it('compareCodePoints orders like UTF-8 bytes where UTF-16 order differs', () => {
    // U+FF5E (fullwidth tilde) sorts before U+1F600 in code points, after it in UTF-16 code units.
    const bmp = '\uff5e';
    const astral = '😀';
    expect(compareCodePoints(bmp, astral)).toBeLessThan(0);
    expect(compareCodePoints(astral, bmp)).toBeGreaterThan(0);
    expect([astral, bmp].sort()).toEqual([astral, bmp]); // the default sort gets it "wrong"
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('b', 'ab')).toBeGreaterThan(0);
    expect(compareCodePoints('same', 'same')).toBe(0);
    expect(compareCodePoints('\ud7ff', '\ue000')).toBeLessThan(0);
  });
});

describe('utf8', () => {
  it('lenient decoding replaces invalid bytes, strict decoding throws, both keep a BOM', () => {
    expect(utf8Decode(Uint8Array.of(0x61, 0xff))).toBe('a\ufffd');
    expect(() => utf8Decode(Uint8Array.of(0x61, 0xff), true)).toThrow();
    expect(utf8Decode(utf8Encode('\ufeffx'))).toBe('\ufeffx');
    expect(utf8Decode(utf8Encode('\ufeffx'), true)).toBe('\ufeffx');
  });
});
