/**
 * examples/maven-bot in websocket mode, as a real child process against the simulated WeCom's
 * long-connection server: the startup log names the mode, messages are echoed over the
 * connection by req_id, the welcome goes as aibot_respond_welcome_msg, and the scheduled
 * `deliver: true` job goes out proactively (aibot_send_msg) instead of being skipped.
 */
import { botEvent, botText, startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedExample, startExample } from '../../test-support/child.js';
import { type TempDir, tempDir } from '../../test-support/fixtures.js';
import { WELCOME } from '../src/agent.js';

const ENTRY = 'examples/maven-bot/src/main.ts';
const BOT_ID = 'maven-ws-bot';
const SECRET = 'Maven-Long-Connection-Secret-0123456789';

let sim: WeComSimulator;
let dir: TempDir;
let gw: StartedExample;

beforeAll(async () => {
  sim = await startWeComSimulator({ bots: [{ botId: BOT_ID, secret: SECRET }] });
  dir = tempDir('maven-bot-ws-test-');
  const wecom = {
    enabled: true,
    connection: 'websocket',
    botId: BOT_ID,
    secret: SECRET,
    wsUrl: sim.wsUrl,
    port: 0,
    schedule: [
      {
        job: 'daily-report',
        chatId: 'zhangsan',
        chatType: 'single',
        text: 'daily report',
        afterMs: 0,
        deliver: true,
      },
      {
        job: 'group-digest',
        chatId: 'wrgroup-7',
        chatType: 'group',
        text: 'group digest',
        afterMs: 0,
        deliver: true,
      },
    ],
  };
  const file = dir.write('maven.json', JSON.stringify({ channels: { wecom } }));
  gw = await startExample(ENTRY, ['--config', file, '--host', '127.0.0.1', '--port', '0']);
});

afterAll(async () => {
  await gw?.stop('SIGKILL');
  await sim?.close();
  dir?.remove();
});

describe('maven-bot: websocket mode', () => {
  it('says which mode runs, subscribes once, and never logs the secret', async () => {
    await sim.ws.waitForSubscribe(BOT_ID);
    const ready = gw.stderr.find((line) => line.includes('WeCom channel ready'));
    expect(ready).toContain('"connection":"websocket');
    const capabilities = gw.stderr.find((line) => line.includes('capabilities'));
    expect(capabilities).toContain('"reactiveOnly":false');
    expect(sim.ws.subscribes(BOT_ID).map((s) => s.errcode)).toEqual([0]);
    expect(gw.stderr.join('\n')).not.toContain(SECRET);
  });

  it('delivers the scheduled deliver: true jobs proactively, to a user and to a group', async () => {
    const sent = await (async () => {
      for (let i = 0; i < 500; i++) {
        if (sim.ws.sent(BOT_ID).length >= 2) return sim.ws.sent(BOT_ID);
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no proactive sends; gateway said: ${gw.stderr.join('\n')}`);
    })();
    expect(
      sent.map((m) => [m.chatid, m.chatType, (m.body.markdown as { content: string }).content]).sort(),
    ).toEqual([
      ['wrgroup-7', 2, 'group digest'],
      ['zhangsan', 1, 'daily report'],
    ]);
    expect(gw.stderr.some((line) => line.includes('skipped'))).toBe(false);
  });

  it('echoes a text over the connection under the callback req_id', async () => {
    const { reqId, delivered } = sim.ws.push(
      BOT_ID,
      botText({ content: 'hello' }) as unknown as Record<string, unknown>,
    );
    expect(delivered).toBe(true);
    const frames = await sim.ws.waitForReply(reqId);
    expect(frames.map((f) => [f.cmd, f.body])).toEqual([
      ['aibot_respond_msg', { msgtype: 'markdown', markdown: { content: 'echo: hello' } }],
    ]);
  });

  it('welcomes on enter_chat with aibot_respond_welcome_msg', async () => {
    const { reqId } = sim.ws.push(BOT_ID, botEvent('enter_chat') as unknown as Record<string, unknown>);
    const [frame] = await sim.ws.waitForReply(reqId);
    expect(frame).toMatchObject({
      cmd: 'aibot_respond_welcome_msg',
      body: { msgtype: 'text', text: { content: WELCOME } },
    });
  });
});
