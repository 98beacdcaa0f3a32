/**
 * Web entry (Workers, Deno, browsers; the default outside Node): the Web Crypto provider.
 */
import { type JsSdkSignatureParams, jsSdkSignature as signWith } from './jssdk.js';
import type { CryptoProvider } from './provider.js';
import { webProvider } from './provider-web.js';
import { WeComCrypto as Base, type WeComCryptoOptions } from './wecom-crypto.js';

export * from './shared.js';

export const defaultProvider: CryptoProvider = webProvider;

/** WXBizMsgCrypt codec on Web Crypto (async). */
export class WeComCrypto extends Base {
  constructor(options: WeComCryptoOptions) {
    super(options, webProvider);
  }
}

export function createWeComCrypto(options: WeComCryptoOptions): WeComCrypto {
  return new WeComCrypto(options);
}

export function jsSdkSignature(
  params: JsSdkSignatureParams,
  provider: CryptoProvider = webProvider,
): Promise<string> {
  return signWith(params, provider);
}
