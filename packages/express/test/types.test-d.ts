import type { WeComHandler } from '@maven/wecom-core';
import { createProbe } from '@maven/wecom-testing/contract';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import { wecomExpress, wecomHealth } from '../src/index.ts';

describe('express: types', () => {
  it("wecomExpress() and wecomHealth() are Express' own RequestHandler", () => {
    expectTypeOf(wecomExpress).parameter(0).toEqualTypeOf<WeComHandler>();
    expectTypeOf(wecomExpress).returns.toEqualTypeOf<RequestHandler>();
    expectTypeOf(wecomHealth).returns.toEqualTypeOf<RequestHandler>();
    expectTypeOf(wecomExpress).returns.not.toExtend<ErrorRequestHandler>();
  });

  it('they type-check in every place Express takes a handler', () => {
    const { handler } = createProbe();
    const app = express();
    const router = express.Router();
    app.use(wecomExpress(handler));
    app.use('/wecom/bot', wecomExpress(handler));
    app.all('/wecom/bot', wecomExpress(handler));
    app.get('/health', wecomHealth());
    router.post('/wecom/bot', express.text(), wecomExpress(handler));
    router.route('/wecom/app').get(wecomExpress(handler)).post(wecomExpress(handler));
    app.use('/api', router);
    // @ts-expect-error a handler is required: a bare object is not a WeComHandler
    wecomExpress({});
    // @ts-expect-error the health route's extra fields are an object, not a string
    wecomHealth('ok');
  });
});
