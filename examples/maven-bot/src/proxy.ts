/**
 * `channels.wecom.proxy`: outbound requests (response_url replies, media downloads) through a
 * proxy. The SDK takes a custom `fetch` (`http.fetch` of WeComBot); this builds one on Node's
 * fetch with a proxy `dispatcher` from the optional packages `undici` (http/https proxies) or
 * `fetch-socks` (socks5/socks5h). Neither is a dependency of this example: install the one you
 * need next to it. A configured proxy that cannot be honoured stops the gateway at start
 * (exit 2) instead of silently going direct.
 */
import { ConfigError, maskUrl } from './config.js';

type Dispatcher = object;
interface UndiciModule {
  ProxyAgent: new (options: string | { uri: string }) => Dispatcher;
}
interface FetchSocksModule {
  socksDispatcher: (proxy: {
    type: 5;
    host: string;
    port: number;
    userId?: string;
    password?: string;
  }) => Dispatcher;
}

/** Imports an optional package by a computed name, so TypeScript and bundlers do not require it. */
async function optional<T>(name: string): Promise<T | undefined> {
  try {
    return (await import(name)) as T;
  } catch {
    return undefined;
  }
}

function withDispatcher(dispatcher: Dispatcher): typeof fetch {
  // Node's fetch (undici inside) reads the non-standard `dispatcher` field of the init object.
  return (input, init) => globalThis.fetch(input, { ...init, dispatcher } as RequestInit);
}

export async function createProxyFetch(proxy: URL): Promise<typeof fetch> {
  const shown = maskUrl(proxy);
  if (proxy.protocol === 'http:' || proxy.protocol === 'https:') {
    const undici = await optional<UndiciModule>('undici');
    if (typeof undici?.ProxyAgent !== 'function') {
      throw new ConfigError([
        `channels.wecom.proxy is ${shown}, but the optional package "undici" is not installed: ` +
          'run `npm install undici` next to this gateway (see docs/configuration.md, "Proxy")',
      ]);
    }
    return withDispatcher(new undici.ProxyAgent(proxy.href));
  }
  // socks5 and socks5h: fetch-socks hands the host name to the proxy, so DNS is resolved remotely
  // in both cases (socks5h semantics), which is what a proxy-only egress wants.
  const socks = await optional<FetchSocksModule>('fetch-socks');
  if (typeof socks?.socksDispatcher !== 'function') {
    throw new ConfigError([
      `channels.wecom.proxy is ${shown}, but the optional package "fetch-socks" is not installed: ` +
        'run `npm install fetch-socks` next to this gateway (see docs/configuration.md, "Proxy")',
    ]);
  }
  return withDispatcher(
    socks.socksDispatcher({
      type: 5,
      host: proxy.hostname,
      port: Number(proxy.port || 1080),
      ...(proxy.username ? { userId: decodeURIComponent(proxy.username) } : {}),
      ...(proxy.password ? { password: decodeURIComponent(proxy.password) } : {}),
    }),
  );
}
