/** Bun: the app on Bun.serve. */
import { assert, report } from './checks.ts';
import { type FetchFn, runMatrix } from './matrix.ts';
import { wsTargetOf } from './ws-roundtrip.ts';

declare const Bun: {
  version: string;
  argv: string[];
  serve(options: { hostname: string; port: number; fetch: FetchFn }): {
    port: number;
    stop(force?: boolean): void;
  };
};

const results = await runMatrix({
  identity: {
    name: 'Bun',
    check: () => assert(typeof Bun === 'object' && typeof Bun.version === 'string', 'Bun global missing'),
  },
  expectDefault: 'node',
  ws: { target: wsTargetOf(Bun.argv) },
  async serve(fetch) {
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch });
    return { url: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) };
  },
});
console.log(report('bun', Bun.version, results));
