/** Core's `toNodeListener` on plain node:http, through the same contract as the adapters. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WeComBot } from '@maven/wecom-bot';
import { CallbackRouter } from '@maven/wecom-callback';
import { toNodeListener } from '@maven/wecom-core';
import { listenTo, runAdapterContract } from '@maven/wecom-testing/contract';

const SDK = { WeComBot, CallbackRouter };

function otherRoute(req: IncomingMessage, res: ServerResponse): void {
  const found = (req.url ?? '/').split('?', 1)[0] === '/other';
  res.writeHead(found ? 200 : 404, { 'content-type': 'text/plain' });
  res.end(found ? 'other route' : 'no route');
}

runAdapterContract({
  sdk: SDK,
  name: 'node:http toNodeListener',
  start(handlers) {
    // Each listener hands paths that are not its handler's to the next one.
    let listener = otherRoute;
    for (const handler of [...handlers].reverse()) listener = toNodeListener(handler, { next: listener });
    return listenTo(listener);
  },
});
