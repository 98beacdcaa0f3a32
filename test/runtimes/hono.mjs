// Hono glue in plain JS: `hono` is a dependency of packages/hono, not of the repository root, so
// TypeScript cannot resolve it from here; the bundler finds it through nodePaths (scripts/runtimes.mjs).
import { Hono } from 'hono';
import { wecomHealth, wecomHono } from '../../packages/hono/src/index.ts';

/** A Hono app with the WeCom handlers mounted as middleware and a health route beside them. */
export function createHonoApp(handlers) {
  const app = new Hono();
  app.get('/hono/health', wecomHealth({ adapter: 'hono' }));
  for (const handler of handlers) app.use(wecomHono(handler));
  app.notFound((c) => c.text('no route', 404));
  return app;
}
