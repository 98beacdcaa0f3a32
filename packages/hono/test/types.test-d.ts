import type { WeComHandler } from '@maven/wecom-core';
import { createProbe } from '@maven/wecom-testing/contract';
import { type Handler, Hono, type MiddlewareHandler } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';
import { wecomHealth, wecomHono } from '../src/index.ts';

describe('hono: types', () => {
  it("wecomHono() and wecomHealth() are Hono's own MiddlewareHandler", () => {
    expectTypeOf(wecomHono).parameter(0).toEqualTypeOf<WeComHandler>();
    expectTypeOf(wecomHono).returns.toEqualTypeOf<MiddlewareHandler>();
    expectTypeOf(wecomHealth).returns.toEqualTypeOf<MiddlewareHandler>();
    // A middleware handler is also a route handler.
    expectTypeOf<ReturnType<typeof wecomHono>>().toExtend<Handler>();
  });

  it('they type-check in every place Hono takes a handler, with typed Env too', () => {
    const { handler } = createProbe();
    const app = new Hono<{ Bindings: { TOKEN: string }; Variables: { user: string } }>();
    const sub = new Hono();
    app.use(wecomHono(handler));
    app.use('/wecom/*', wecomHono(handler));
    app.post('/wecom/bot', wecomHono(handler));
    app.all('/wecom/app', wecomHono(handler));
    app.get('/health', wecomHealth());
    sub.post('/wecom/bot', wecomHono(handler));
    app.route('/api', sub);
    expectTypeOf(app.fetch).toBeFunction();
    // @ts-expect-error a handler is required: a bare object is not a WeComHandler
    wecomHono({});
    // @ts-expect-error the health route's extra fields are an object, not a string
    wecomHealth('ok');
  });
});
