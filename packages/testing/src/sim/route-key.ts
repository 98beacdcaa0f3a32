/** The short names calls and faults are keyed by: `gettoken`, `message/send`, `aibot/response`, `media`. */
export function routeKey(pathname: string): string {
  if (pathname.startsWith('/cgi-bin/')) return pathname.slice('/cgi-bin/'.length);
  if (pathname === '/media' || pathname.startsWith('/media/')) return 'media';
  return pathname.replace(/^\/+/, '');
}

/** Accepts `gettoken`, `/cgi-bin/gettoken` or `cgi-bin/gettoken` alike. */
export function normalizeKey(path: string): string {
  if (path === '*') return path;
  return routeKey(path.startsWith('/') ? path : `/${path}`);
}
