/**
 * Node entry: the node:crypto provider by default (synchronous and fast), and a synchronous codec.
 */
import { type JsSdkSignatureParams, jsSdkSignature as signWith } from './jssdk.js';
import type { CryptoProvider, SyncCryptoProvider } from './provider.js';
import { nodeProvider } from './provider-node.js';
import { WeComCrypto as Base, WeComCryptoSync as SyncBase, type WeComCryptoOptions } from './wecom-crypto.js';

export * from './shared.js';
export { nodeProvider };

export const defaultProvider: CryptoProvider = nodeProvider;

/** WXBizMsgCrypt codec (async API), on node:crypto unless another provider is given. */
export class WeComCrypto extends Base {
  constructor(options: WeComCryptoOptions) {
    super(options, nodeProvider);
  }
}

/** WXBizMsgCrypt codec with a synchronous API, on node:crypto. */
export class WeComCryptoSync extends SyncBase {
  constructor(options: WeComCryptoOptions & { provider?: SyncCryptoProvider }) {
    super(options, nodeProvider);
  }
}

export function createWeComCrypto(options: WeComCryptoOptions): WeComCrypto {
  return new WeComCrypto(options);
}

export function jsSdkSignature(
  params: JsSdkSignatureParams,
  provider: CryptoProvider = nodeProvider,
): Promise<string> {
  return signWith(params, provider);
}
