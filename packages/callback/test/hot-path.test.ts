/**
 * What the speed work on the router's hot path must not lose, counted rather than timed: the
 * promises one app text callback answered passively creates (an async_hooks init hook over many
 * callbacks), 36 on the router before the one pipeline, 54 when it landed, 38 since.
 */
import { createHook } from 'node:async_hooks';
import { silentLogger } from '@maven/wecom-core';
import { appText, toAppMessageXml } from '@maven/wecom-testing';
import { describe, expect, it } from 'vitest';
import { CallbackRouter } from '../src/index.js';
import { callbackFor, makeApp } from './helpers.js';

const CALLBACKS = 500;
/** Room for a few more than now; the figure before the work was 54. */
const MOST_PROMISES_PER_CALLBACK = 42;

describe('router hot path', () => {
  it(`an app text callback answered passively makes at most ${MOST_PROMISES_PER_CALLBACK} promises`, async () => {
    const app = makeApp();
    const { corpSecret: _secret, ...served } = app;
    const router = new CallbackRouter({
      apps: [served],
      path: '/wecom/callback',
      timestampWindow: false,
      logger: silentLogger,
    });
    router.on('text', (message, ctx) => ctx.reply(`echo ${message.msgId}`));
    const callbacks = Array.from({ length: CALLBACKS * 2 }, (_, i) => {
      const xml = toAppMessageXml(
        appText({
          from: 'user-1',
          corpId: app.corpId,
          agentId: app.agentId,
          content: 'hi',
          msgId: 1000n + BigInt(i),
        }),
      );
      const cb = callbackFor(app, xml);
      return { url: `/wecom/callback${cb.search}`, body: cb.body };
    });
    const send = async (i: number) => {
      const res = await router.receive({ method: 'POST', headers: {}, ...callbacks[i]! });
      expect(res.status).toBe(200);
      expect(res.body).toContain('<Encrypt>');
    };
    for (let i = 0; i < CALLBACKS; i++) await send(i); // warm: lazy module state, caches
    let promises = 0;
    const hook = createHook({
      init(_id, type) {
        if (type === 'PROMISE') promises++;
      },
    }).enable();
    try {
      for (let i = CALLBACKS; i < CALLBACKS * 2; i++) await send(i);
      await new Promise((resolve) => setTimeout(resolve, 20)); // the done marks written after the answers
    } finally {
      hook.disable();
    }
    const perCallback = promises / CALLBACKS;
    expect(perCallback).toBeGreaterThan(10); // the hook saw the callbacks at all
    expect(perCallback).toBeLessThanOrEqual(MOST_PROMISES_PER_CALLBACK);
    await router.close();
  });
});
