/** Node glue shared by the Express, Koa and Hono-on-Node examples: the ready line and a graceful stop. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExampleHandlers } from './handlers.js';

export function announce(server: Server, handlers: ExampleHandlers, framework: string): void {
  const { port } = server.address() as AddressInfo;
  const host = handlers.host.includes(':') ? `[${handlers.host}]` : handlers.host;
  const paths = [handlers.bot && '/wecom/bot', handlers.router && '/wecom/callback'].filter(Boolean);
  console.error(`${framework}: WeCom handlers on ${paths.join(' and ')}, health on /health`);
  const stop = async () => {
    // Stop taking callbacks and drain replies first, then close the server.
    await handlers.close();
    server.close();
    server.closeIdleConnections();
  };
  // Before the ready line: its reader may signal at once, and a signal with no listener kills.
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  console.log(`listening on http://${host}:${port}${paths[0]}`);
}
