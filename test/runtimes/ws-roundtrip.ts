/**
 * The long-connection round trip every runtime runs: a `WeComBot` in websocket mode subscribes to
 * the simulator (a `wecom-sim serve` process started by scripts/runtimes.mjs) over the runtime's
 * WebSocket, answers a pushed text with a finished stream under its req_id, and sends one
 * proactive message. The simulator is driven over its HTTP control routes (`/sim/ws/…`).
 */
import { type WebSocketConstructor, WeComBot } from '../../packages/bot/src/index.ts';
import { assert, assertEqual, type CheckResult, Checks } from './checks.ts';

export interface WsTarget {
  simUrl: string;
  wsUrl: string;
  botId: string;
  secret: string;
}

/** The target scripts/runtimes.mjs passes as the last argument (JSON), if any. */
export function wsTargetOf(args: readonly string[]): WsTarget | undefined {
  const last = args.at(-1);
  if (!last?.startsWith('{')) return undefined;
  return JSON.parse(last) as WsTarget;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function wsRoundTrip(t: WsTarget, WebSocket?: WebSocketConstructor): Promise<CheckResult[]> {
  const checks = new Checks();
  const bot = new WeComBot({
    connection: {
      mode: 'websocket',
      botId: t.botId,
      secret: t.secret,
      url: t.wsUrl,
      ...(WebSocket ? { WebSocket } : {}),
      reconnect: { baseMs: 50, maxMs: 200, maxAttempts: 5 },
    },
  });
  bot.on('text', async (message, ctx) => {
    const stream = ctx.stream();
    await stream.append('echo: ');
    await stream.finish(`echo: ${message.text}`);
  });
  try {
    await checks.run('ws: subscribe over the runtime WebSocket', () => bot.start());
    await checks.run('ws: a pushed text is answered with a finished stream under its req_id', async () => {
      const body = {
        msgid: `rt-${Date.now()}`,
        aibotid: t.botId,
        chattype: 'single',
        from: { userid: 'zhangsan' },
        msgtype: 'text',
        text: { content: 'hi' },
      };
      const pushed = (await (
        await fetch(`${t.simUrl}/sim/ws/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ bot: t.botId, body }),
        })
      ).json()) as { req_id: string; delivered: boolean };
      assert(pushed.delivered, 'the simulator had no connection to push to');
      for (let i = 0; i < 200; i++) {
        const got = (await (
          await fetch(`${t.simUrl}/sim/ws/frames?req_id=${encodeURIComponent(pushed.req_id)}`)
        ).json()) as { final: boolean; frames: { cmd: string; body: { stream?: { content: string } } }[] };
        if (got.final) {
          const last = got.frames.at(-1)!;
          assertEqual(last.cmd, 'aibot_respond_msg', 'reply command');
          assertEqual(last.body.stream?.content, 'echo: hi', 'final stream content');
          return;
        }
        await sleep(25);
      }
      throw new Error('no final reply frame');
    });
    await checks.run('ws: a proactive send is acknowledged', async () => {
      const outcome = await bot.send('zhangsan', { msgtype: 'markdown', markdown: { content: 'hello' } });
      assertEqual(outcome.status, 'sent', 'send outcome');
    });
  } finally {
    await bot.close({ timeoutMs: 1000 });
  }
  return checks.results;
}
