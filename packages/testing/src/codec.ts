/** Builds a synchronous codec for one token/key/receiveId, never enforcing a timestamp window. */
import { WeComCryptoSync } from '@maven/wecom-crypto';

export interface CodecOptions {
  token: string;
  encodingAESKey: string;
  /** Enforced on decrypt when set; also the receiveId written by encrypt (default ''). */
  receiveId?: string | undefined;
  /** The 16 random frame bytes, to reproduce a known ciphertext. */
  random?: Uint8Array | undefined;
}

export function createCodec(options: CodecOptions): WeComCryptoSync {
  const fixed = options.random;
  return new WeComCryptoSync({
    token: options.token,
    encodingAESKey: options.encodingAESKey,
    ...(options.receiveId === undefined ? {} : { receiveId: options.receiveId }),
    timestampWindow: false,
    ...(fixed === undefined ? {} : { random: (n: number) => (n === 16 ? fixed.slice() : new Uint8Array(n)) }),
  });
}
