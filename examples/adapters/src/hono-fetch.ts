/**
 * Hono as a plain `export default { fetch }` module: Bun (`bun examples/adapters/src/hono-fetch.ts`),
 * Cloudflare Workers (`wrangler dev`, secrets as bindings) and Deno (`deno serve`). On Workers,
 * Hono hands `ctx.waitUntil` to the handlers, so replies that outlive the response are kept alive.
 */
import { wecomHealth, wecomHono } from '@maven/wecom-hono';
import { type ExecutionContext, Hono } from 'hono';
import { createHandlers, type ExampleEnv } from './handlers.js';

/** Bun and Deno: process.env. Workers: the `env` bindings (process may not exist there). */
const processEnv: ExampleEnv = typeof process === 'undefined' ? {} : process.env;

let app: Hono | undefined;

function build(env: ExampleEnv): Hono {
  const handlers = createHandlers(env);
  const hono = new Hono();
  // Each handler matches its own path and lets every other request through.
  if (handlers.bot) hono.use(wecomHono(handlers.bot));
  if (handlers.router) hono.use(wecomHono(handlers.router));
  hono.get('/health', wecomHealth({ runtime: typeof process === 'undefined' ? 'worker' : 'fetch' }));
  return hono;
}

function isBindings(value: unknown): value is ExampleEnv {
  return (
    typeof value === 'object' && value !== null && ('WECOM_BOT_TOKEN' in value || 'WECOM_APP_TOKEN' in value)
  );
}

export default {
  // Read by Bun (and ignored by Workers) to start its server.
  port: Number(processEnv.PORT || 3000),
  hostname: processEnv.HOST || '127.0.0.1',
  fetch(request: Request, env?: unknown, ctx?: ExecutionContext): Response | Promise<Response> {
    // Built on the first request: on Workers the bindings only arrive with it.
    app ??= build(isBindings(env) ? env : processEnv);
    return app.fetch(request, env ?? {}, ctx);
  },
};
