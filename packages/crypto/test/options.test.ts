/** Construction: configuration is validated eagerly, and every mistake is a WeComConfigError. */
import { describe, expect, it } from 'vitest';
import {
  isWeComError,
  WeComConfigError,
  WeComCrypto,
  WeComCryptoSync,
  webProvider,
} from '../src/index.node.ts';
import { caught, OPTIONS_A } from './helpers.ts';
import { A2 } from './vectors.ts';

const BASE = { token: OPTIONS_A.token, encodingAESKey: OPTIONS_A.encodingAESKey };

async function expectConfigError(build: () => unknown, pattern: RegExp): Promise<void> {
  const error = await caught(build);
  expect(error).toBeInstanceOf(WeComConfigError);
  expect(isWeComError(error)).toBe(true);
  expect((error as WeComConfigError).code).toBe('invalid_config');
  expect((error as WeComConfigError).status).toBe(500);
  expect((error as Error).message).toMatch(pattern);
}

describe.each([
  ['WeComCrypto', (o: unknown) => new WeComCrypto(o as never)],
  ['WeComCryptoSync', (o: unknown) => new WeComCryptoSync(o as never)],
])('%s options', (_name, build) => {
  it('refuses a missing options object', async () => {
    for (const options of [undefined, null, 'token', 42])
      await expectConfigError(() => build(options), /options/);
  });

  it('refuses unknown options (typos never pass silently)', async () => {
    await expectConfigError(() => build({ ...BASE, recieveId: 'x' }), /unknown option "recieveId"/);
    await expectConfigError(() => build({ ...BASE, timeout: 1 }), /unknown option "timeout"/);
  });

  it('refuses a bad token', async () => {
    for (const token of [undefined, '', 42, null])
      await expectConfigError(() => build({ ...BASE, token }), /token/);
  });

  it('refuses an EncodingAESKey of the wrong length or with bad characters', async () => {
    const key = OPTIONS_A.encodingAESKey;
    for (const encodingAESKey of [
      key.slice(1), // 42
      `${key}A`, // 44
      `${key}=`, // 44 with padding
      `${key.slice(1)}!`,
      `${key.slice(1)}-`,
      `${key.slice(1)}_`,
      `${key.slice(2)}你`,
      ` ${key.slice(1)}`,
      '',
      undefined,
      42,
    ]) {
      await expectConfigError(() => build({ ...BASE, encodingAESKey }), /encodingAESKey must be exactly 43/);
    }
  });

  it('accepts keys using + and / (43 base64 characters always give 32 bytes)', () => {
    expect(() => build({ ...BASE, encodingAESKey: `${'+/'.repeat(21)}A` })).not.toThrow();
  });

  it('refuses a non-string receiveId', async () => {
    for (const receiveId of [42, null, {}])
      await expectConfigError(() => build({ ...BASE, receiveId }), /receiveId/);
  });

  it('refuses a bad timestamp window', async () => {
    for (const timestampWindow of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '300', true]) {
      await expectConfigError(() => build({ ...BASE, timestampWindow }), /timestampWindow/);
    }
  });

  it('refuses a now or random that is not a function', async () => {
    await expectConfigError(() => build({ ...BASE, now: 1 }), /now must be a function/);
    await expectConfigError(
      () => build({ ...BASE, random: new Uint8Array(16) }),
      /random must be a function/,
    );
  });

  it('refuses a bad maxBodyLength', async () => {
    for (const maxBodyLength of [0, -1, 1.5, '1024', Number.POSITIVE_INFINITY]) {
      await expectConfigError(() => build({ ...BASE, maxBodyLength }), /maxBodyLength/);
    }
  });

  it('refuses something that is not a provider', async () => {
    for (const provider of [null, 'node', {}, { ...webProvider, createAes: undefined }]) {
      await expectConfigError(() => build({ ...BASE, provider }), /provider must implement/);
    }
  });
});

describe('options that are accepted', () => {
  it('maxBodyLength caps both envelope formats', async () => {
    const small = new WeComCryptoSync({ ...OPTIONS_A, maxBodyLength: A2.body.length });
    expect(small.decryptCallback({ ...A2, format: 'xml' }).message).toBe(A2.plaintext);
    const smaller = new WeComCryptoSync({ ...OPTIONS_A, maxBodyLength: A2.body.length - 1 });
    expect(() => smaller.decryptCallback({ ...A2, format: 'xml' })).toThrow(/exceeds/);
  });

  it('an explicit provider is used', () => {
    expect(new WeComCrypto({ ...BASE, provider: webProvider }).toJSON()).toMatchObject({ provider: 'web' });
    expect(new WeComCrypto(BASE).toJSON()).toMatchObject({ provider: 'node' });
  });
});
