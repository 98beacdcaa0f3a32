import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitUtf8, truncateUtf8, utf8Length, utf8Prefix } from '../src/index.js';

const encoder = new TextEncoder();
const bytes = (s: string) => encoder.encode(s).byteLength;

/** Strings mixing ASCII, 2-byte, CJK, emoji and lone surrogates (the cases that break byte math). */
const mixed = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme-ascii', maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.constantFrom('é', 'ß', '中', '文', '😀', '👍🏽', '\n', '\n\n', '\uD800', '\uDC00', '\uDBFF\uDFFF'),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

function endsInsidePair(s: string): boolean {
  if (s.length === 0) return false;
  const last = s.charCodeAt(s.length - 1);
  return last >= 0xd800 && last <= 0xdbff;
}

describe('utf8Length', () => {
  it('equals TextEncoder for fixed cases', () => {
    for (const s of [
      '',
      'a',
      'é',
      '中',
      '😀',
      '\uD800',
      '\uDC00',
      'a\uD800b',
      '\uD800\uD800',
      '\uDBFF\uDFFF',
    ]) {
      expect(utf8Length(s)).toBe(bytes(s));
    }
  });

  it('equals TextEncoder for random strings', () => {
    fc.assert(
      fc.property(mixed, (s) => utf8Length(s) === bytes(s)),
      { numRuns: 500 },
    );
  });
});

describe('utf8Prefix', () => {
  it('never splits a code point and is the longest prefix that fits', () => {
    fc.assert(
      fc.property(mixed, fc.integer({ min: 0, max: 120 }), (s, max) => {
        const p = utf8Prefix(s, max);
        expect(s.startsWith(p)).toBe(true);
        expect(bytes(p)).toBeLessThanOrEqual(max);
        // Not cut between the halves of a surrogate pair.
        if (p.length < s.length && endsInsidePair(p)) {
          const next = s.charCodeAt(p.length);
          expect(next >= 0xdc00 && next <= 0xdfff).toBe(false);
        }
        // Longest: one more code point would not fit.
        if (p.length < s.length) {
          const cp = String.fromCodePoint(s.codePointAt(p.length)!);
          const step = s.slice(p.length, p.length + cp.length);
          expect(bytes(p + step)).toBeGreaterThan(max);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('handles emoji, CJK and lone surrogates at the edge', () => {
    expect(utf8Prefix('😀😀', 7)).toBe('😀');
    expect(utf8Prefix('😀😀', 3)).toBe('');
    expect(utf8Prefix('中文', 5)).toBe('中');
    expect(utf8Prefix('a\uD800b', 4)).toBe('a\uD800'); // lone surrogate = 3 bytes (U+FFFD)
    expect(utf8Prefix('a\uD800b', 3)).toBe('a');
    expect(utf8Prefix('abc', 0)).toBe('');
    expect(utf8Prefix('abc', -1)).toBe('');
    expect(utf8Prefix('abc', 2.9)).toBe('ab');
    expect(utf8Prefix('abc', Number.POSITIVE_INFINITY)).toBe('abc');
    expect(() => utf8Prefix('abc', Number.NaN)).toThrow(RangeError);
  });
});

describe('truncateUtf8', () => {
  it('cuts CJK at exactly 20480 bytes, keeping the head', () => {
    const fits = '中'.repeat(6826); // 20478 bytes
    expect(bytes(fits)).toBe(20478);
    expect(truncateUtf8(fits, 20480)).toEqual({ text: fits, truncated: false });
    const over = `${fits}文`; // 20481 bytes: the last 3-byte char must go
    const cut = truncateUtf8(over, 20480);
    expect(cut).toEqual({ text: fits, truncated: true });
    expect(bytes(cut.text)).toBe(20478);
    // Exactly at the limit is not truncated.
    const exact = `${fits}ab`;
    expect(bytes(exact)).toBe(20480);
    expect(truncateUtf8(exact, 20480)).toEqual({ text: exact, truncated: false });
  });

  it('counts the marker inside the limit', () => {
    const marker = '…(已截断)';
    const text = '中'.repeat(10_000);
    const out = truncateUtf8(text, 20480, { marker });
    expect(out.truncated).toBe(true);
    expect(out.text.endsWith(marker)).toBe(true);
    expect(bytes(out.text)).toBeLessThanOrEqual(20480);
    expect(bytes(out.text)).toBeGreaterThan(20480 - 3);
    expect(text.startsWith(out.text.slice(0, -marker.length))).toBe(true);
    // A marker larger than the limit is itself cut, never exceeding the limit.
    expect(truncateUtf8('abcdef', 4, { marker: '[truncated]' })).toEqual({ text: '[tru', truncated: true });
    expect(truncateUtf8('abc', 3, { marker: '…' })).toEqual({ text: 'abc', truncated: false });
  });

  it('stays within the limit for random input', () => {
    fc.assert(
      fc.property(
        mixed,
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom('', '…', '[cut]'),
        (s, max, marker) => {
          const out = truncateUtf8(s, max, { marker });
          expect(bytes(out.text)).toBeLessThanOrEqual(max);
          expect(out.truncated).toBe(bytes(s) > max);
          if (!out.truncated) expect(out.text).toBe(s);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('splitUtf8', () => {
  it('chunks fit, concatenation equals the input, no chunk ends inside a pair', () => {
    fc.assert(
      fc.property(mixed, fc.integer({ min: 4, max: 40 }), fc.boolean(), (s, max, preferLines) => {
        const chunks = splitUtf8(s, max, { preferLines });
        expect(chunks.join('')).toBe(s);
        for (const c of chunks) expect(bytes(c)).toBeLessThanOrEqual(max);
        for (const c of chunks.slice(0, -1)) {
          expect(c.length).toBeGreaterThan(0);
          expect(endsInsidePair(c) && !c.endsWith('\uD800') && !c.endsWith('\uDBFF')).toBe(false);
        }
        for (let i = 0; i + 1 < chunks.length; i++) {
          const last = chunks[i]!.charCodeAt(chunks[i]!.length - 1);
          const first = chunks[i + 1]!.charCodeAt(0);
          const splitPair = last >= 0xd800 && last <= 0xdbff && first >= 0xdc00 && first <= 0xdfff;
          expect(splitPair).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('prefers cutting after a newline', () => {
    const text = 'line one\nline two\nline three is longer';
    expect(splitUtf8(text, 20)).toEqual(['line one\nline two\n', 'line three is longer']);
    expect(splitUtf8(text, 20, { preferLines: false })).toEqual([
      'line one\nline two\nli',
      'ne three is longer',
    ]);
    // No newline within reach: cut at the byte limit on a code-point boundary.
    expect(splitUtf8('中中中中', 7)).toEqual(['中中', '中中']);
    expect(splitUtf8('😀😀😀', 5)).toEqual(['😀', '😀', '😀']);
  });

  it('gives one chunk for short or empty text, and refuses a limit under 4 bytes', () => {
    expect(splitUtf8('', 2048)).toEqual(['']);
    expect(splitUtf8('short', 2048)).toEqual(['short']);
    expect(() => splitUtf8('abc', 3)).toThrow(RangeError);
    expect(() => splitUtf8('abc', Number.NaN)).toThrow(RangeError);
  });

  it('splits a long CJK reply for message/send (2048 bytes), and a large text into many chunks', () => {
    const text = `${'第一段。'.repeat(300)}\n${'第二段'.repeat(2000)}`;
    const chunks = splitUtf8(text, 2048);
    expect(chunks.join('')).toBe(text);
    for (const c of chunks) expect(bytes(c)).toBeLessThanOrEqual(2048);
    // Many chunks from one large text, without a newline to prefer (a quadratic scan would not finish).
    const big = 'x'.repeat(1 << 18);
    const many = splitUtf8(big, 16);
    expect(many).toHaveLength((1 << 18) / 16);
    expect(many.every((c) => c.length === 16)).toBe(true);
  });
});
