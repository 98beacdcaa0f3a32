/** Options of the codec, validated eagerly: a bad value fails the constructor, never a request. */
import { decodeEncodingAESKey } from './codec.js';
import { WeComConfigError } from './errors.js';
import type { CryptoProvider } from './provider.js';

export interface WeComCryptoOptions {
  /** The callback Token from the WeCom console. */
  token: string;
  /** The 43-character EncodingAESKey from the WeCom console. */
  encodingAESKey: string;
  /**
   * Expected receiveId, enforced on decrypt when set: the CorpID for self-built apps, `""` for AI
   * bots. When absent it is not checked, but what was found is reported. Also the receiveId that
   * `encrypt` writes (`""` when absent).
   */
  receiveId?: string;
  /** Which crypto implementation to use. Defaults to the entry point's (Node on Node, Web elsewhere). */
  provider?: CryptoProvider;
  /** Largest accepted difference between a request's timestamp and now, in seconds; `false` disables. Default 300. */
  timestampWindow?: number | false;
  /** Clock in milliseconds, for tests. Default `Date.now`. */
  now?: () => number;
  /** Source of the 16 random frame bytes and of nonces, for tests. Default: the provider's CSPRNG. */
  random?: (length: number) => Uint8Array;
  /** Largest accepted callback body (characters). Default 1 MiB for JSON, 64 KiB for XML. */
  maxBodyLength?: number;
}

export interface ResolvedOptions<P extends CryptoProvider> {
  token: string;
  key: Uint8Array;
  receiveId: string | undefined;
  provider: P;
  window: number | false;
  now: () => number;
  random: (length: number) => Uint8Array;
  maxBodyLength: number | undefined;
}

const ALLOWED = new Set([
  'token',
  'encodingAESKey',
  'receiveId',
  'provider',
  'timestampWindow',
  'now',
  'random',
  'maxBodyLength',
]);

const PROVIDER_METHODS = [
  'sha1Hex',
  'createAes',
  'randomBytes',
  'base64Encode',
  'base64Decode',
  'utf8Decode',
] as const;

function checkProvider(provider: unknown): void {
  const p = provider as Record<string, unknown> | null;
  if (p === null || typeof p !== 'object' || PROVIDER_METHODS.some((m) => typeof p[m] !== 'function')) {
    throw new WeComConfigError(`provider must implement ${PROVIDER_METHODS.join(', ')}`);
  }
}

function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new WeComConfigError(`${name} must be a function`);
  }
}

export function resolveOptions<P extends CryptoProvider>(
  options: WeComCryptoOptions,
  defaultProvider: P,
): ResolvedOptions<P> {
  if (options === null || typeof options !== 'object') throw new WeComConfigError('options are required');
  for (const name of Object.keys(options)) {
    if (!ALLOWED.has(name)) throw new WeComConfigError(`unknown option "${name}"`);
  }
  if (typeof options.token !== 'string' || options.token.length === 0) {
    throw new WeComConfigError('token must be a non-empty string');
  }
  const key = decodeEncodingAESKey(options.encodingAESKey);
  if (options.receiveId !== undefined && typeof options.receiveId !== 'string') {
    throw new WeComConfigError('receiveId must be a string');
  }
  if (options.provider !== undefined) checkProvider(options.provider);
  const window = options.timestampWindow ?? 300;
  if (window !== false && !(typeof window === 'number' && window > 0 && Number.isFinite(window))) {
    throw new WeComConfigError('timestampWindow must be a positive number of seconds or false');
  }
  checkFunction('now', options.now);
  checkFunction('random', options.random);
  const max = options.maxBodyLength;
  if (max !== undefined && !(Number.isSafeInteger(max) && max > 0)) {
    throw new WeComConfigError('maxBodyLength must be a positive integer');
  }
  const provider = (options.provider as P | undefined) ?? defaultProvider;
  return {
    token: options.token,
    key,
    receiveId: options.receiveId,
    provider,
    window,
    now: options.now ?? Date.now,
    random: options.random ?? ((n) => provider.randomBytes(n)),
    maxBodyLength: max,
  };
}
