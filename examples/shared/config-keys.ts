/**
 * How a configuration error names a key it does not know. A long "key" is most likely a secret
 * pasted where a key belongs (a token, an EncodingAESKey, a corp secret), so only its length is
 * shown; every real key of both examples is a short identifier.
 */
export const MAX_SHOWN_KEY = 24;

export function showKey(key: string): string {
  return key.length > MAX_SHOWN_KEY ? `<a ${key.length}-character key, not shown>` : key;
}
