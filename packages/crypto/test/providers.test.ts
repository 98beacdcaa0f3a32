import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CryptoProvider, nodeProvider, WeComConfigError, webProvider } from '../src/index.node.ts';
import { caught, IV_A, KEY_A } from './helpers.ts';
import { mediaStreamContract, providerContract } from './provider-contract.ts';

providerContract('node', nodeProvider);
providerContract('web', webProvider);

/** A provider without its own CBC decipher: streamed media goes through createAes, block 0 corrected. */
function withoutCbcDecipher(provider: CryptoProvider): CryptoProvider {
  const { createCbcDecipher: _, ...rest } = provider;
  return rest;
}
mediaStreamContract('node (chained createAes)', withoutCbcDecipher(nodeProvider));
mediaStreamContract('web (chained createAes)', withoutCbcDecipher(webProvider));

describe('node provider specifics', () => {
  it('hands out pooled random bytes once: 1000 draws of 16 bytes are all distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(Buffer.from(nodeProvider.randomBytes(16)).toString('hex'));
    expect(seen.size).toBe(1000);
  });
});

describe('web provider without Web Crypto', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('fails on use with a WeComConfigError, not at construction nor in the background', async () => {
    vi.stubGlobal('crypto', undefined);
    const aes = webProvider.createAes(KEY_A, IV_A);
    for (const use of [
      () => aes.decrypt(new Uint8Array(32)),
      () => aes.encrypt(new Uint8Array(32)),
      // Short inputs are hashed in JS; a long one needs crypto.subtle.
      () => webProvider.sha1Hex('a'.repeat(5000)),
    ]) {
      const error = await caught(use);
      expect(error).toBeInstanceOf(WeComConfigError);
      expect((error as WeComConfigError).status).toBe(500);
    }
    vi.unstubAllGlobals();
    // Once Web Crypto is there, the same context works (the failed import was not cached).
    expect((await aes.decrypt(await aes.encrypt(new Uint8Array(32)))).length).toBe(32);
  });
});
