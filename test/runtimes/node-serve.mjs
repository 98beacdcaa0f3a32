// Serving a fetch function on node:http through @hono/node-server. Plain JS for the same reason as
// hono.mjs: the package is a dependency of packages/hono, resolved by the bundler through nodePaths.
import { serve } from '@hono/node-server';

export function serveFetch(fetch) {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
    server.once('error', reject);
  });
}
