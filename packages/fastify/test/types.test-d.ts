import type { WeComHandler } from '@maven/wecom-core';
import { createProbe } from '@maven/wecom-testing/contract';
import Fastify, { type FastifyPluginCallback, type RouteHandlerMethod } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import { wecomFastify, wecomHealth } from '../src/index.ts';

describe('fastify: types', () => {
  it("wecomFastify() is Fastify's own plugin, wecomHealth() its own route handler", () => {
    expectTypeOf(wecomFastify).parameter(0).toEqualTypeOf<WeComHandler>();
    expectTypeOf(wecomFastify).returns.toEqualTypeOf<FastifyPluginCallback>();
    expectTypeOf(wecomHealth).returns.toEqualTypeOf<RouteHandlerMethod>();
  });

  it('they type-check where Fastify takes a plugin and a route handler', () => {
    const { handler } = createProbe();
    const app = Fastify();
    void app.register(wecomFastify(handler));
    void app.register(async (scope) => {
      await scope.register(wecomFastify(handler));
    });
    app.get('/health', wecomHealth({ service: 'bot' }));
    // @ts-expect-error a handler is required: a bare object is not a WeComHandler
    wecomFastify({});
    // @ts-expect-error the health route's extra fields are an object, not a string
    wecomHealth('ok');
  });
});
