// long-connection.ts — the transport alone, below WeComBot (for custom hosts and tests)
import { ProactiveSender, type WebSocketConstructor, WsLeader } from '@maven/wecom-bot';
import type { Store } from '@maven/wecom-core';

export async function startLongConnection(store: Store, WebSocket?: WebSocketConstructor): Promise<WsLeader> {
  const leader = new WsLeader({
    store, // a RedisStore from @maven/wecom-redis when several replicas run
    connection: {
      botId: process.env.WECOM_BOT_ID!, // the bot's "API 模式 → 长连接" page
      secret: process.env.WECOM_BOT_SECRET!,
      ...(WebSocket ? { WebSocket } : {}), // Node 20: WebSocket from the "ws" package
    },
  });
  leader.onCallback(async (frame) => {
    if (frame.cmd !== 'aibot_msg_callback') return;
    // Stream snapshots under the callback's req_id: each replaces the previous content.
    await leader.respond(frame.reqId, {
      msgtype: 'stream',
      stream: { id: 's1', finish: false, content: '…' },
    });
    await leader.respond(frame.reqId, {
      msgtype: 'stream',
      stream: { id: 's1', finish: true, content: 'done' },
    });
  });
  await leader.start();

  const sender = new ProactiveSender({ transport: leader });
  const outcome = await sender.send('zhangsan', {
    msgtype: 'markdown',
    markdown: { content: 'good morning' },
  });
  if (outcome.status !== 'sent') console.warn('not sent:', outcome.status);
  return leader;
}
