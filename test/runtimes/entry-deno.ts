/** Deno: the app on Deno.serve. */
import { assert, report } from './checks.ts';
import { type FetchFn, runMatrix } from './matrix.ts';
import { wsTargetOf } from './ws-roundtrip.ts';

declare const Deno: {
  version: { deno: string };
  args: string[];
  serve(
    options: { hostname: string; port: number; onListen?: (addr: unknown) => void },
    handler: FetchFn,
  ): { addr: { port: number }; shutdown(): Promise<void> };
};

const results = await runMatrix({
  identity: {
    name: 'Deno',
    check: () =>
      assert(typeof Deno === 'object' && typeof Deno.version?.deno === 'string', 'Deno global missing'),
  },
  expectDefault: 'web',
  ws: { target: wsTargetOf(Deno.args) },
  async serve(fetch) {
    const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, fetch);
    return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
  },
});
console.log(report('deno', Deno.version.deno, results));
