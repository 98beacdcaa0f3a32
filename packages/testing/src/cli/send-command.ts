/**
 * `wecom-sim send`: one encrypted callback like WeCom sends, then the decrypted reply. In bot mode a
 * simulator receives the response_url post and prints it.
 */
import { parseArgs } from 'node:util';
import { appEvent, appText } from '../app-messages.js';
import { type BotMessage, botEvent, botText } from '../bot-messages.js';
import { mask } from '../mask.js';
import { startWeComSimulator } from '../sim/simulator.js';
import { intOption, modeOption, type Output, required, shownUrl, UsageError } from './output.js';
import { sendWs } from './send-ws.js';

export const SEND_USAGE = `wecom-sim send --url URL --token TOKEN --key ENCODING_AES_KEY [--mode bot|app]
               [--corp-id ID --agent-id N] [--text "hi" | --event enter_chat] [--from USERID]
               [--stream] [--wait MS] [--timeout MS] [--once]
  Sends one callback and prints the decrypted reply. Bot mode also starts a local simulator for the
  message's response_url and prints what the webhook posts there (waits up to --wait ms).
wecom-sim send --mode ws --sim SIM_URL --bot BOTID [--text "hi" | --event enter_chat] [--from USERID]
               [--chat-type single|group] [--chat-id ID] [--timeout MS]
  Makes a running simulator push the callback to the bot on its long connection and prints every
  reply frame for it as a JSON line until the reply is final or --timeout.`;

export async function sendCommand(argv: string[], io: Output): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      key: { type: 'string' },
      mode: { type: 'string' },
      'corp-id': { type: 'string' },
      'agent-id': { type: 'string' },
      text: { type: 'string' },
      event: { type: 'string' },
      from: { type: 'string' },
      stream: { type: 'boolean' },
      wait: { type: 'string' },
      timeout: { type: 'string' },
      interval: { type: 'string' },
      once: { type: 'boolean' },
      sim: { type: 'string' },
      bot: { type: 'string' },
      'chat-type': { type: 'string' },
      'chat-id': { type: 'string' },
    },
  });
  if (values.mode === 'ws') return sendWs(values, io);
  const url = required('url', values.url);
  const token = required('token', values.token);
  const key = required('key', values.key);
  const mode = modeOption(values.mode);
  if (values.text !== undefined && values.event !== undefined)
    throw new UsageError('give --text or --event, not both');
  const delivery = {
    redeliverAfterMs: intOption('timeout', values.timeout, 5000, 1),
    redeliver: values.once !== true,
  };
  io.out(`wecom-sim send: ${mode} mode, ${shownUrl(url)}, token ${mask(token)}, EncodingAESKey ${mask(key)}`);
  if (mode === 'app') {
    const corpId = required('corp-id', values['corp-id']);
    const agentId = intOption('agent-id', required('agent-id', values['agent-id']), 0);
    const sim = await startWeComSimulator();
    try {
      const driver = sim.app({ corpId, agentId, token, encodingAESKey: key });
      const from = values.from ?? 'zhangsan';
      const message =
        values.event !== undefined
          ? appEvent(values.event, { from, corpId, agentId })
          : appText({ content: values.text ?? 'hello', from, corpId, agentId });
      const res = await driver.send(url, message, { ...delivery, strictReply: false });
      io.out(
        `← HTTP ${res.status === 0 ? 'no answer' : res.status} after ${res.deliveries} deliver${res.deliveries === 1 ? 'y' : 'ies'}`,
      );
      if (res.replyError !== undefined) {
        io.out(`✗ the reply would be rejected by WeCom: ${res.replyError.message}`);
        return 1;
      }
      io.out(res.reply === null ? 'reply: (empty — no passive reply)' : `reply:\n${res.reply.xml}`);
      return res.status === 200 ? 0 : 1;
    } finally {
      await sim.close();
    }
  }
  const sim = await startWeComSimulator();
  try {
    const bot = sim.bot({ token, encodingAESKey: key });
    const common = values.from === undefined ? {} : { from: values.from };
    const message: BotMessage =
      values.event !== undefined
        ? botEvent(values.event, {}, common)
        : botText({ content: values.text ?? 'hello', ...common });
    const res = await bot.send(url, message, { ...delivery, strictReply: false });
    io.out(
      `← HTTP ${res.status === 0 ? 'no answer' : res.status} after ${res.deliveries} deliver${res.deliveries === 1 ? 'y' : 'ies'}`,
    );
    if (res.replyError !== undefined) {
      io.out(`✗ the reply would be rejected by WeCom: ${res.replyError.message}`);
      return 1;
    }
    io.out(res.reply === null ? 'reply: (empty — no passive reply)' : `reply: ${JSON.stringify(res.reply)}`);
    let ok = res.status === 200;
    const streamId = res.reply?.stream?.id;
    if (values.stream === true && streamId !== undefined && res.reply?.stream?.finish !== true) {
      const polled = await bot.pollStream(url, streamId, {
        intervalMs: intOption('interval', values.interval, 500, 1),
        maxPolls: 720,
        delivery: { redeliverAfterMs: delivery.redeliverAfterMs },
      });
      for (const frame of polled.frames) io.out(`stream: ${JSON.stringify(frame.stream ?? frame)}`);
      io.out(polled.finished ? `stream finished after ${polled.polls} refreshes` : 'stream did not finish');
      ok &&= polled.finished;
    }
    const wait = intOption('wait', values.wait, res.reply === null ? 3000 : 0);
    if (res.responseUrl !== undefined && wait > 0) {
      try {
        const got = await sim.waitForResponse(res.responseUrl, { timeoutMs: wait });
        io.out(`response_url: ${JSON.stringify(got.body)}`);
      } catch {
        const refused = sim.responses(res.responseUrl);
        for (const r of refused)
          io.out(
            `response_url refused: ${JSON.stringify(r.body)} → errcode ${r.result.errcode} ${r.result.errmsg}`,
          );
        io.out(`response_url: nothing accepted within ${wait} ms`);
      }
    }
    return ok ? 0 : 1;
  } finally {
    await sim.close();
  }
}
