/**
 * The router's spans and metrics through the real OpenTelemetry SDK (in-memory exporters), against
 * the simulated WeCom over real HTTP: an app callback answered through message/send after its
 * token expired (42001 → one refresh → delivered), and a redaction scan of everything exported.
 */
import { startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ancestry, useOtel } from '../../bot/test/otel-harness.js';
import { CallbackRouter } from '../src/index.js';
import {
  callbackFor,
  captureLogger,
  type Listening,
  listen,
  makeApp,
  nextEvent,
  post,
  textXml,
} from './helpers.js';

const otel = useOtel();
const app = makeApp();
const log = captureLogger();
let sim: WeComSimulator;
let server: Listening;
let router: CallbackRouter;

beforeAll(async () => {
  sim = await startWeComSimulator({
    apps: [{ name: app.name, corpId: app.corpId, corpSecret: app.corpSecret, agentId: app.agentId }],
  });
  router = new CallbackRouter({
    apps: [app],
    deadlineMs: 100,
    http: { baseUrl: sim.url, retry: { backoff: { baseMs: 1 } } },
    logger: log.logger,
  });
  router.on('text', async (msg, ctx) => {
    if (msg.content === 'late') await new Promise((r) => setTimeout(r, 200)); // past the deadline
    await ctx.reply(`answer to ${msg.content}`);
  });
  server = await listen(router);
});

afterAll(async () => {
  await router?.close();
  await server?.close();
  await sim?.close();
});

/** What each test exported, kept for the redaction scan (the span exporter is reset per test). */
const exported: string[] = [];
afterEach(async () => {
  exported.push(await otel.exportedText());
});
beforeEach(() => otel.spans.reset());

const driver = () =>
  sim.app({ corpId: app.corpId, agentId: app.agentId, token: app.token, encodingAESKey: app.encodingAESKey });
const url = () => `${server.url}/wecom/callback`;

/** Every access_token the simulator issued (from its record of gettoken answers). */
function issuedTokens(): string[] {
  return sim
    .calls('gettoken')
    .map((c) => (c.response as { access_token?: string } | undefined)?.access_token)
    .filter((t): t is string => typeof t === 'string');
}

describe('telemetry of the router', () => {
  it('an app callback answered through message/send with a token refresh (42001)', async () => {
    await router.send(`${app.corpId}:${app.agentId}:warm`, 'warm'); // a token in the cache
    sim.expireTokens(app.name);
    otel.spans.reset();
    const before = {
      refreshes: await otel.total('wecom.token.refreshes', {
        'wecom.credential': 'token',
        'wecom.outcome': 'refreshed',
      }),
      refreshLatency: await otel.total('wecom.token.refresh.duration', { 'wecom.credential': 'token' }),
      delivered: await otel.total('wecom.replies', { 'wecom.channel': 'api', 'wecom.outcome': 'delivered' }),
      latency: await otel.total('wecom.reply.duration', { 'wecom.channel': 'api' }),
      accepted: await otel.total('wecom.callbacks', { 'wecom.outcome': 'accepted' }),
    };
    const delivered = nextEvent(router, 'reply.delivered');
    const result = await driver().send(url(), 'late');
    expect(result.status).toBe(200);
    await delivered;
    const sent = sim.messages(app.name).at(-1)?.body as { text?: { content?: string } };
    expect(sent.text?.content).toBe('answer to late');

    const all = otel.spans.getFinishedSpans();
    const [root] = otel.named('wecom.callback');
    expect(root?.attributes).toMatchObject({
      'wecom.kind': 'app',
      'wecom.msgtype': 'text',
      'wecom.app': app.name,
      'wecom.agent_id': app.agentId,
      'wecom.outcome': 'accepted',
    });
    expect(root?.status.code).toBe(0);
    expect(otel.named('wecom.acknowledge')).toHaveLength(1); // the deadline passed: an empty answer

    const calls = otel.named('wecom.call');
    const sends = calls.filter((s) => s.attributes['wecom.operation'] === '/cgi-bin/message/send');
    expect(sends.map((s) => s.attributes['wecom.outcome'])).toEqual(['failed', 'delivered']);
    expect(sends[0]?.attributes['wecom.errcode']).toBe(42001);
    expect(sends.map((s) => s.status.code)).toEqual([2, 0]);
    for (const s of sends)
      expect(ancestry(all, s)).toEqual(['wecom.call', 'wecom.listeners', 'wecom.callback']);

    const [refresh] = otel.named('wecom.token.refresh');
    expect(otel.named('wecom.token.refresh')).toHaveLength(1);
    expect(refresh?.attributes['wecom.credential']).toBe('token');
    expect(ancestry(all, refresh!)).toEqual(['wecom.token.refresh', 'wecom.listeners', 'wecom.callback']);
    const gettoken = calls.filter((s) => s.attributes['wecom.operation'] === '/cgi-bin/gettoken');
    expect(gettoken).toHaveLength(1);
    expect(gettoken[0]?.parentSpanContext?.spanId).toBe(refresh?.spanContext().spanId);
    const http = otel.named('wecom.http');
    expect(http).toHaveLength(3); // send (42001), gettoken, send
    for (const s of http) expect(s.spanContext().traceId).toBe(root?.spanContext().traceId);

    expect(
      await otel.total('wecom.token.refreshes', {
        'wecom.credential': 'token',
        'wecom.outcome': 'refreshed',
      }),
    ).toBe(before.refreshes + 1);
    expect(await otel.total('wecom.token.refresh.duration', { 'wecom.credential': 'token' })).toBe(
      before.refreshLatency + 1,
    );
    expect(await otel.total('wecom.replies', { 'wecom.channel': 'api', 'wecom.outcome': 'delivered' })).toBe(
      before.delivered + 1,
    );
    expect(await otel.total('wecom.reply.duration', { 'wecom.channel': 'api' })).toBe(before.latency + 1);
    expect(await otel.total('wecom.callbacks', { 'wecom.outcome': 'accepted' })).toBe(before.accepted + 1);
  });

  it('a passive answer, a refused signature and a duplicate of an app callback', async () => {
    const refusedBefore = await otel.total('wecom.callbacks', { 'wecom.outcome': 'refused' });
    const duplicateBefore = await otel.total('wecom.callbacks', { 'wecom.outcome': 'duplicate' });
    const passive = await driver().send(url(), 'quick');
    expect(passive.reply?.message).toMatchObject({ Content: 'answer to quick' });
    expect(otel.named('wecom.reply')[0]?.attributes['wecom.channel']).toBe('passive');

    const forged = sim.app({
      corpId: app.corpId,
      agentId: app.agentId,
      token: 'forged-token-1234',
      encodingAESKey: app.encodingAESKey,
    });
    otel.spans.reset();
    const refused = await forged.send(url(), 'x', { redeliver: false, strictReply: false });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(otel.named('wecom.callback')[0]?.status.code).toBe(2);
    expect(await otel.total('wecom.callbacks', { 'wecom.outcome': 'refused' })).toBe(refusedBefore + 1);

    // The same message twice (a fresh signature each time): the second is a duplicate by MsgId.
    const message = textXml(app, 'again', { msgId: '7788990011' });
    expect((await post(router, callbackFor(app, message))).status).toBe(200);
    otel.spans.reset();
    expect((await post(router, callbackFor(app, message))).status).toBe(200);
    const [dup] = otel.named('wecom.callback');
    expect(dup?.attributes['wecom.outcome']).toBe('duplicate');
    expect(otel.named('wecom.listeners')).toHaveLength(0);
    expect(await otel.total('wecom.callbacks', { 'wecom.outcome': 'duplicate' })).toBe(duplicateBefore + 1);
  });

  it('redaction: no exported attribute, event, metric point or log field carries a secret', async () => {
    const text = `${exported.join('\n')}\n${log.lines.join('\n')}`;
    expect(text).toContain('wecom.token.refresh');
    expect(text).toContain('wecom.callback');
    const tokens = issuedTokens();
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    for (const secret of [app.token, app.encodingAESKey, app.corpSecret, ...tokens]) {
      expect(text).not.toContain(secret);
    }
  });
});
