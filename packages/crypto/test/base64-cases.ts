/**
 * Strings a strict base64 decoder must refuse, and canonical ones with their bytes (hex). Shared by
 * the in-process tests and the probe run on Deno and Bun, where the runtime's native codec is chosen.
 */
export const NON_CANONICAL = [
  'YQ', // no padding
  'YWJ', // length not a multiple of 4
  'Y===', // three pad characters
  'YR==', // leftover bits set (canonical is YQ==)
  'YWJ=', // leftover bits set (canonical is YWI=)
  'ab=c', // padding inside
  'YQ==YQ==', // padding, then more data
  'YW-_', // URL-safe alphabet
  'YW J', // space
  'YWJj\n', // newline
  'YWJj    ', // whitespace that keeps the length a multiple of 4
  'Y W J a Q = = ', // whitespace everywhere
  'YQ=\n', // whitespace in the padding
  '\tYWJ', // leading tab
  'YWŁj', // non-ASCII (Buffer would read Ł as A)
  '😀😀', // astral characters
  '====',
  '=',
  'YQ=',
];

export const CANONICAL: ReadonlyArray<readonly [string, string]> = [
  ['', ''],
  ['YQ==', '61'],
  ['YWI=', '6162'],
  ['YWJj', '616263'],
  ['+/+/', 'fbffbf'],
  ['AAAAAA==', '00000000'],
];
