import { describe, expect, it } from 'vitest';
import { randomId } from '../src/ids.js';

describe('randomId', () => {
  it('is lowercase hex of twice the byte count', () => {
    expect(randomId()).toMatch(/^[0-9a-f]{32}$/);
    expect(randomId(8)).toMatch(/^[0-9a-f]{16}$/);
    expect(randomId(1)).toMatch(/^[0-9a-f]{2}$/);
  });

  it('never repeats across many refills of its pool', () => {
    // 20,000 ids of 16 bytes = 320,000 bytes: about 78 refills of the 4 KiB pool.
    const ids = new Set(Array.from({ length: 20_000 }, () => randomId()));
    expect(ids.size).toBe(20_000);
  });

  it('hands out ids that straddle the end of the pool whole (no short or reused bytes)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const id = randomId(7 + (i % 11));
      expect(id).toHaveLength(2 * (7 + (i % 11)));
      seen.add(id);
    }
    expect(seen.size).toBe(2_000);
  });

  it('uses every byte value (the hex table covers 00..ff)', () => {
    const text = Array.from({ length: 400 }, () => randomId(32)).join('');
    const bytes = new Set(text.match(/../g));
    expect(bytes.size).toBe(256);
  });

  it('refuses sizes it cannot serve', () => {
    expect(() => randomId(0)).toThrow(RangeError);
    expect(() => randomId(4097)).toThrow(RangeError);
    expect(() => randomId(1.5)).toThrow(RangeError);
  });
});
