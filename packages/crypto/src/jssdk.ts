/**
 * JS-SDK signatures for `wx.config` (jsapi_ticket of the corp) and `wx.agentConfig` (the app's
 * ticket): SHA-1 over `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, url without its fragment.
 */
import { WeComConfigError } from './errors.js';
import type { CryptoProvider } from './provider.js';
import { webProvider } from './provider-web.js';

export interface JsSdkSignatureParams {
  /** The corp jsapi_ticket (for wx.config) or the app ticket (for wx.agentConfig). */
  ticket: string;
  nonceStr: string;
  /** Seconds since the epoch. */
  timestamp: number | string;
  /** The page URL; anything from `#` on is dropped. */
  url: string;
}

export async function jsSdkSignature(
  params: JsSdkSignatureParams,
  provider: CryptoProvider = webProvider,
): Promise<string> {
  for (const name of ['ticket', 'nonceStr', 'url'] as const) {
    if (typeof params[name] !== 'string' || params[name].length === 0) {
      throw new WeComConfigError(`${name} must be a non-empty string`);
    }
  }
  const url = params.url.split('#', 1)[0]!;
  const base = `jsapi_ticket=${params.ticket}&noncestr=${params.nonceStr}&timestamp=${params.timestamp}&url=${url}`;
  return provider.sha1Hex(base);
}
