/**
 * `wecom-sim serve --bot` in a child process prints its ws:// URL; `wecom-sim send --mode ws` makes
 * it push a callback to the bot connected there and prints every reply frame as a JSON line.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Output } from '../src/cli/output.ts';
import { sendCommand } from '../src/cli/send-command.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

/** A bot on the long connection that answers messages with two stream frames and enter_chat with a welcome. */
async function connectBot(wsUrl: string, botId: string, secret: string): Promise<WebSocket> {
  const socket = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const subscribed = new Promise<number>((resolve) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as {
        cmd?: string;
        headers: { req_id: string };
        errcode?: number;
        body?: { msgtype?: string; text?: { content: string }; from?: { userid: string }; chattype?: string };
      };
      if (frame.cmd === undefined && frame.headers.req_id === 'sub-1') resolve(frame.errcode ?? -1);
      const reqId = frame.headers.req_id;
      const send = (cmd: string, body: unknown) =>
        socket.send(JSON.stringify({ cmd, headers: { req_id: reqId }, body }));
      if (frame.cmd === 'aibot_msg_callback') {
        const echo = `${frame.body?.chattype} ${frame.body?.from?.userid}: ${frame.body?.text?.content}`;
        send('aibot_respond_msg', {
          msgtype: 'stream',
          stream: { id: 's1', finish: false, content: 'thinking' },
        });
        setTimeout(
          () =>
            send('aibot_respond_msg', {
              msgtype: 'stream',
              stream: { id: 's1', finish: true, content: echo },
            }),
          30,
        );
      }
      if (frame.cmd === 'aibot_event_callback')
        send('aibot_respond_welcome_msg', { msgtype: 'text', text: { content: 'welcome' } });
    });
  });
  socket.send(
    JSON.stringify({ cmd: 'aibot_subscribe', headers: { req_id: 'sub-1' }, body: { bot_id: botId, secret } }),
  );
  expect(await subscribed).toBe(0);
  return socket;
}

describe('wecom-sim serve --bot and send --mode ws', () => {
  it('pushes through the running simulator and prints the reply frames until the final one', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        'serve',
        '--bot',
        'botA:secretA-0123456789',
        '--bot',
        'botB:secretB-0123456789',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let bot: WebSocket | undefined;
    try {
      for (let i = 0; i < 1200 && !/^ws:\/\/\S+$/m.test(out); i++)
        await new Promise((r) => setTimeout(r, 25));
      const httpUrl = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const wsUrl = /^(ws:\/\/127\.0\.0\.1:\d+)$/m.exec(out)?.[1];
      expect(httpUrl).toBeDefined();
      expect(wsUrl).toBeDefined();
      expect(out).not.toContain('secretA-0123456789');
      bot = await connectBot(wsUrl!, 'botA', 'secretA-0123456789');

      const io = capture();
      const code = await sendCommand(
        [
          '--mode',
          'ws',
          '--sim',
          httpUrl!,
          '--bot',
          'botA',
          '--text',
          'hi',
          '--from',
          'lisi',
          '--chat-type',
          'group',
          '--chat-id',
          'wrchat-5',
        ],
        io,
      );
      expect(code).toBe(0);
      const frames = io.lines
        .filter((l) => l.startsWith('{'))
        .map(
          (l) =>
            JSON.parse(l) as {
              cmd: string;
              body: { stream: { content: string; finish: boolean } };
              answer: { errcode: number };
            },
        );
      expect(frames.map((f) => [f.cmd, f.body.stream.finish, f.answer.errcode])).toEqual([
        ['aibot_respond_msg', false, 0],
        ['aibot_respond_msg', true, 0],
      ]);
      expect(frames[1]?.body.stream.content).toBe('group lisi: hi');

      const welcome = capture();
      expect(
        await sendCommand(
          ['--mode', 'ws', '--sim', httpUrl!, '--bot', 'botA', '--event', 'enter_chat'],
          welcome,
        ),
      ).toBe(0);
      expect(
        welcome.lines.filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { cmd: string }).cmd),
      ).toEqual(['aibot_respond_welcome_msg']);

      // botB has no connection: the callback is dropped, as WeCom does, and send says so.
      const none = capture();
      expect(
        await sendCommand(['--mode', 'ws', '--sim', httpUrl!, '--bot', 'botB', '--text', 'x'], none),
      ).toBe(1);
      expect(none.errors.join('\n')).toMatch(/no subscribed long connection/);
      // A bot that never answers finally: --timeout ends the wait.
      bot.removeAllListeners('message');
      const silent = capture();
      expect(
        await sendCommand(
          ['--mode', 'ws', '--sim', httpUrl!, '--bot', 'botA', '--text', 'x', '--timeout', '200'],
          silent,
        ),
      ).toBe(1);
      expect(silent.errors.join('\n')).toMatch(/no final reply within 200 ms/);
    } finally {
      bot?.terminate();
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
