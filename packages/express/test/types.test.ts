import type { WeComHandler } from '@maven/wecom-core';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { wecomHealth, wecomMiddleware } from '../src/index.ts';
import { createProbe } from './servers.ts';

describe('express: types', () => {
  it("wecomMiddleware() and wecomHealth() are Express' own RequestHandler", () => {
    expectTypeOf(wecomMiddleware).parameter(0).toEqualTypeOf<WeComHandler>();
    expectTypeOf(wecomMiddleware).returns.toEqualTypeOf<RequestHandler>();
    expectTypeOf(wecomHealth).returns.toEqualTypeOf<RequestHandler>();
    expectTypeOf(wecomMiddleware).returns.not.toExtend<ErrorRequestHandler>();
  });

  it('they type-check in every place Express takes a handler', () => {
    const { handler } = createProbe();
    const app = express();
    const router = express.Router();
    app.use(wecomMiddleware(handler));
    app.use('/wecom/bot', wecomMiddleware(handler));
    app.all('/wecom/bot', wecomMiddleware(handler));
    app.get('/health', wecomHealth());
    router.post('/wecom/bot', express.text(), wecomMiddleware(handler));
    router.route('/wecom/app').get(wecomMiddleware(handler)).post(wecomMiddleware(handler));
    app.use('/api', router);
    expect(wecomMiddleware(handler)).toHaveLength(3); // (req, res, next): not an error handler
  });
});
