/**
 * `channels.wecom.proxy`: outbound requests (response_url replies, media downloads) through a
 * proxy, as the reference's per-channel proxy. The SDK takes a custom `fetch` (`http.fetch` of
 * WeComBot); this builds one on Node's fetch with a proxy `dispatcher`: undici's `ProxyAgent` for
 * http:// and https:// proxies (every request, http or https, goes through a CONNECT tunnel), and
 * fetch-socks for socks5:// and socks5h:// (the host name is handed to the proxy, so DNS is
 * resolved on the proxy's side in both cases, which is what a proxy-only egress wants).
 */
import { socksDispatcher } from 'fetch-socks';
import { type Dispatcher, ProxyAgent } from 'undici';

export interface ProxyFetch {
  fetch: typeof fetch;
  /** Closes the proxy connections (at shutdown). */
  close(): Promise<void>;
}

function withDispatcher(dispatcher: Dispatcher): typeof fetch {
  // Node's fetch (undici inside) reads the non-standard `dispatcher` field of the init object.
  return (input, init) => globalThis.fetch(input, { ...init, dispatcher } as RequestInit);
}

export function createProxyFetch(proxy: URL): ProxyFetch {
  let dispatcher: Dispatcher;
  if (proxy.protocol === 'http:' || proxy.protocol === 'https:') {
    // Credentials in the URL become a Proxy-Authorization (Basic) header of the CONNECT request.
    const token =
      proxy.username || proxy.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`
        : undefined;
    const uri = new URL(proxy.href);
    uri.username = '';
    uri.password = '';
    dispatcher = new ProxyAgent({ uri: uri.href, ...(token ? { token } : {}) });
  } else {
    dispatcher = socksDispatcher({
      type: 5,
      host: proxy.hostname,
      port: Number(proxy.port || 1080),
      ...(proxy.username ? { userId: decodeURIComponent(proxy.username) } : {}),
      ...(proxy.password ? { password: decodeURIComponent(proxy.password) } : {}),
    }) as unknown as Dispatcher;
  }
  return { fetch: withDispatcher(dispatcher), close: () => dispatcher.close() };
}
