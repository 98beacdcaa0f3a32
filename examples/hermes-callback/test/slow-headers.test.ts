/**
 * The gateway's configured header timeout holds within a second (Node checks it every second, not
 * every 30 s): 100 slow-header connections are all open before it and all closed, with a 408,
 * by timeout + 1 s + a margin.
 */
import { allowlistFromEnv } from '@maven/wecom-callback';
import { silentLogger } from '@maven/wecom-core';
import { expect, it } from 'vitest';
import { randomEncodingAESKey } from '../../test-support/fixtures.js';
import { slowHeaderCounts } from '../../test-support/slow-headers.js';
import { startGateway } from '../src/gateway.js';

it('100 slow-header connections: none closed before the 1.5 s header timeout, all closed (408) by 3.5 s', async () => {
  const gateway = await startGateway({
    apps: [
      {
        name: 'default',
        corpId: 'ww_slow_headers',
        corpSecret: 'slow-headers-secret',
        agentId: 1000002,
        token: 'slowHeadersToken',
        encodingAESKey: randomEncodingAESKey(),
      },
    ],
    headersTimeoutMs: 1500,
    host: '127.0.0.1',
    port: 0,
    path: '/wecom/callback',
    allow: allowlistFromEnv({}),
    apiBase: 'http://127.0.0.1:9',
    logger: silentLogger,
  });
  try {
    const port = (gateway.server.address() as { port: number }).port;
    const counts = await slowHeaderCounts(port, { connections: 100, headersTimeoutMs: 1500, boundMs: 3500 });
    expect(counts).toEqual({ opened: 100, closedBeforeTimeout: 0, closedAtBound: 100, answered408: 100 });
  } finally {
    await gateway.close();
  }
}, 20_000);
