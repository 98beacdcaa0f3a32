/**
 * Fastify 5 with `wecomFastify` (packages/fastify), for the reliability suite's server child:
 * bench/lib/frameworks.ts serves the other four adapters and is not the suite's to change.
 * Fastify is a dependency of the adapter package, so it is loaded with a require rooted there.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { type AdapterName, REPO_ROOT, SERVER_OPTIONS } from '../../../bench/lib/frameworks.ts';
import type { WeComHandler } from '../../../packages/core/src/index.ts';
import { wecomFastify } from '../../../packages/fastify/src/index.ts';

/** The adapters the reliability suite runs: the benchmarks' four and Fastify. */
export type ReliabilityAdapter = AdapterName | 'fastify';

interface FastifyApp {
  register(plugin: unknown): Promise<unknown>;
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
  server: Server;
}

export async function serveFastify(
  handlers: readonly WeComHandler[],
  host = '127.0.0.1',
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const Fastify = createRequire(resolve(REPO_ROOT, 'packages', 'fastify', 'package.json'))('fastify') as (
    options: Record<string, unknown>,
  ) => FastifyApp;
  const app = Fastify({
    logger: false,
    serverFactory: (handler: RequestListener) => createServer(SERVER_OPTIONS, handler),
  });
  for (const handler of handlers) await app.register(wecomFastify(handler));
  await app.listen({ port: 0, host });
  // Generous keep-alive, as bench/lib/frameworks.ts gives the others: the flood reuses connections.
  app.server.keepAliveTimeout = 30_000;
  return {
    server: app.server,
    port: (app.server.address() as AddressInfo).port,
    close: () => app.close(),
  };
}
