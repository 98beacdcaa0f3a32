/**
 * Core's `toFetchHandler` served by a Node fetch server (@hono/node-server's adaptor, without
 * Hono itself), through the same contract as the framework adapters.
 */
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { WeComBot } from '@maven/wecom-bot';
import { CallbackRouter } from '@maven/wecom-callback';
import { toFetchHandler } from '@maven/wecom-core';
import { listen, runAdapterContract } from '@maven/wecom-testing/contract';

const SDK = { WeComBot, CallbackRouter };

runAdapterContract({
  sdk: SDK,
  name: 'fetch toFetchHandler',
  start(handlers) {
    const routes = handlers.map((handler) => ({ handler, fetch: toFetchHandler(handler) }));
    // A fetch handler answers 404 off its path; composing several uses `matches` to pick one.
    const fetch = (request: Request) => {
      const { pathname } = new URL(request.url);
      const route = routes.find((r) => r.handler.matches(pathname));
      if (route) return route.fetch(request);
      return pathname === '/other' ? new Response('other route') : new Response('no route', { status: 404 });
    };
    return listen(createAdaptorServer({ fetch }) as Server);
  },
});
