import Router, { type RouterMiddleware } from '@koa/router';
import type { WeComHandler } from '@maven/wecom-core';
import Koa, { type Middleware } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import { createProbe } from '../../express/test/servers.ts';
import { wecomHealth, wecomMiddleware } from '../src/index.ts';

describe('koa: types', () => {
  it("wecomMiddleware() and wecomHealth() are Koa's own Middleware", () => {
    expectTypeOf(wecomMiddleware).parameter(0).toEqualTypeOf<WeComHandler>();
    expectTypeOf(wecomMiddleware).returns.toEqualTypeOf<Middleware>();
    expectTypeOf(wecomHealth).returns.toEqualTypeOf<Middleware>();
    expectTypeOf<ReturnType<typeof wecomMiddleware>>().toExtend<RouterMiddleware>();
    expectTypeOf<ReturnType<typeof wecomHealth>>().toExtend<RouterMiddleware>();
  });

  it('they type-check in every place Koa and @koa/router take a middleware', () => {
    const { handler } = createProbe();
    const app = new Koa<{ user?: string }, { requestId?: string }>();
    const router = new Router({ prefix: '/api' });
    app.use(wecomMiddleware(handler));
    router.post('/wecom/bot', wecomMiddleware(handler));
    router.all('/wecom/app', wecomMiddleware(handler));
    router.get('/health', wecomHealth());
    app.use(router.routes());
    expectTypeOf(app).toExtend<Koa>();
  });
});
