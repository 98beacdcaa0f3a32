import Router, { type RouterMiddleware } from '@koa/router';
import type { WeComHandler } from '@maven/wecom-core';
import { createProbe } from '@maven/wecom-testing/contract';
import Koa, { type Middleware } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import { wecomHealth, wecomKoa } from '../src/index.ts';

describe('koa: types', () => {
  it("wecomKoa() and wecomHealth() are Koa's own Middleware", () => {
    expectTypeOf(wecomKoa).parameter(0).toEqualTypeOf<WeComHandler>();
    expectTypeOf(wecomKoa).returns.toEqualTypeOf<Middleware>();
    expectTypeOf(wecomHealth).returns.toEqualTypeOf<Middleware>();
    expectTypeOf<ReturnType<typeof wecomKoa>>().toExtend<RouterMiddleware>();
    expectTypeOf<ReturnType<typeof wecomHealth>>().toExtend<RouterMiddleware>();
  });

  it('they type-check in every place Koa and @koa/router take a middleware', () => {
    const { handler } = createProbe();
    const app = new Koa<{ user?: string }, { requestId?: string }>();
    const router = new Router({ prefix: '/api' });
    app.use(wecomKoa(handler));
    router.post('/wecom/bot', wecomKoa(handler));
    router.all('/wecom/app', wecomKoa(handler));
    router.get('/health', wecomHealth());
    app.use(router.routes());
    expectTypeOf(app).toExtend<Koa>();
    // @ts-expect-error a handler is required: a bare object is not a WeComHandler
    wecomKoa({});
    // @ts-expect-error not an Express-style (req, res) handler
    expectTypeOf(wecomKoa(handler)).toEqualTypeOf<(req: unknown, res: unknown) => void>();
  });
});
