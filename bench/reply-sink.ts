/**
 * Where the Redis rows' active replies go, in a child process of its own (the load generator's
 * event loop would otherwise delay them): the simulated WeCom of @maven/wecom-testing (gettoken,
 * message/send) and a response_url endpoint that accepts every POST (`errcode: 0`).
 * `node --import tsx bench/reply-sink.ts`; IPC: 'urls' → `{ urls: { sim, responseUrl } }`; 'stop'.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HOT_APP } from '../packages/redis/test/hot-paths.ts';
import { startWeComSimulator } from '../packages/testing/src/index.ts';

const sim = await startWeComSimulator({
  apps: [
    { name: HOT_APP.name, corpId: HOT_APP.corpId, corpSecret: HOT_APP.corpSecret, agentId: HOT_APP.agentId },
  ],
});
// The simulator records every call: forget them now and then (the runs send tens of thousands).
setInterval(() => sim.clearCalls(), 1000).unref();
const endpoint = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end('{"errcode":0,"errmsg":"ok"}');
  });
});
endpoint.keepAliveTimeout = 30_000;
await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
const port = (endpoint.address() as AddressInfo).port;
process.send?.({ ready: true, port });
process.on('message', (message) => {
  if (message === 'urls') process.send?.({ urls: { sim: sim.url, responseUrl: `http://127.0.0.1:${port}` } });
  else if (message === 'stop') {
    endpoint.closeAllConnections();
    endpoint.close();
    void sim.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  }
});
