/**
 * workerd: inside a request the clock only moves on I/O, so the driver times batches from outside.
 * `/batch?op=inbound&bytes=1024&n=100` runs n operations and answers how far the worker's own clock
 * moved meanwhile (the evidence that it cannot time them itself).
 */
import { WeComCrypto, webProvider } from '../src/index.web.ts';
import { KEYS, type Op, operation, runBatch } from './edge-subject.ts';

const codec = new WeComCrypto({ ...KEYS, provider: webProvider });
const prepared = new Map<string, () => Promise<unknown>>();

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== '/batch') return new Response('ready');
    const op = url.searchParams.get('op') as Op;
    const bytes = Number(url.searchParams.get('bytes'));
    const n = Number(url.searchParams.get('n'));
    const key = `${op}/${bytes}`;
    let run = prepared.get(key);
    if (!run) {
      run = await operation(codec, op, bytes);
      prepared.set(key, run);
    }
    const t0 = performance.now();
    await runBatch(run, n);
    return Response.json({ clockMs: performance.now() - t0 });
  },
};
