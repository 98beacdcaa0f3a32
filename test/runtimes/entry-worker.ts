/**
 * The Cloudflare Worker served by workerd: the matrix app, plus `/__contract`, which runs the crypto
 * contract inside the worker and answers the results as JSON.
 */

import { assertEqual, Checks, type RuntimeReport } from './checks.ts';
import { cryptoContract } from './crypto-contract.ts';
import { createMatrixApp } from './matrix-app.ts';

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

const app = createMatrixApp();

export default {
  async fetch(request: Request, env: unknown, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname === '/__contract') {
      const checks = new Checks();
      await checks.run('runtime: Cloudflare workerd', () =>
        assertEqual(globalThis.navigator?.userAgent, 'Cloudflare-Workers', 'navigator.userAgent'),
      );
      checks.add(await cryptoContract({ expectDefault: 'web' }));
      const out: RuntimeReport = { runtime: 'workerd', version: '', results: checks.results };
      return new Response(JSON.stringify(out), { headers: { 'content-type': 'application/json' } });
    }
    return app.fetch(request, env, ctx);
  },
};
