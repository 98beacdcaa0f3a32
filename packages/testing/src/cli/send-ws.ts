/**
 * `wecom-sim send --mode ws`: a running simulator (`wecom-sim serve --bot …`) pushes one callback to
 * the bot connected on its long-connection endpoint; every reply frame WeCom would receive for it
 * is printed as one JSON line until the reply is final (finished stream, markdown, welcome, card…)
 * or `--timeout` runs out.
 */
import { type BotMessage, botEvent, botText } from '../bot-messages.js';
import { intOption, type Output, required, UsageError } from './output.js';

export interface WsSendValues {
  sim?: string | undefined;
  bot?: string | undefined;
  text?: string | undefined;
  event?: string | undefined;
  from?: string | undefined;
  'chat-type'?: string | undefined;
  'chat-id'?: string | undefined;
  timeout?: string | undefined;
}

interface FramesAnswer {
  frames: { seq: number; cmd: string; body: unknown; answer: { errcode: number; errmsg: string } }[];
  final: boolean;
}

export async function sendWs(values: WsSendValues, io: Output): Promise<number> {
  const sim = required('sim', values.sim).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(sim))
    throw new UsageError('--sim must be the simulator http:// URL that serve printed');
  const bot = required('bot', values.bot);
  if (values.text !== undefined && values.event !== undefined)
    throw new UsageError('give --text or --event, not both');
  const chatType = values['chat-type'] ?? (values['chat-id'] === undefined ? 'single' : 'group');
  if (chatType !== 'single' && chatType !== 'group')
    throw new UsageError('--chat-type must be single or group');
  const timeoutMs = intOption('timeout', values.timeout, 10_000, 1);
  const common = {
    chattype: chatType,
    ...(values.from === undefined ? {} : { from: values.from }),
    ...(values['chat-id'] === undefined ? {} : { chatid: values['chat-id'] }),
  } as const;
  const body: BotMessage =
    values.event !== undefined
      ? botEvent(values.event, {}, common)
      : botText({ content: values.text ?? 'hello', ...common });
  const pushed = await fetch(`${sim}/sim/ws/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ bot, body }),
  });
  const push = (await pushed.json()) as {
    errcode: number;
    errmsg: string;
    req_id?: string;
    delivered?: boolean;
  };
  if (push.errcode !== 0 || push.req_id === undefined) {
    io.err(`wecom-sim send: push refused: ${push.errmsg}`);
    return 1;
  }
  if (push.delivered !== true) {
    io.err(`wecom-sim send: bot ${bot} has no subscribed long connection; the callback was dropped`);
    return 1;
  }
  io.out(
    `→ pushed ${body.msgtype === 'event' ? `event ${values.event}` : 'text'} to bot ${bot}, req_id ${push.req_id}`,
  );
  const end = Date.now() + timeoutMs;
  let printed = 0;
  for (;;) {
    const res = await fetch(`${sim}/sim/ws/frames?req_id=${encodeURIComponent(push.req_id)}`);
    const got = (await res.json()) as FramesAnswer;
    for (const frame of got.frames.slice(printed)) io.out(JSON.stringify(frame));
    printed = got.frames.length;
    if (got.final) return 0;
    if (Date.now() >= end) {
      io.err(`wecom-sim send: no final reply within ${timeoutMs} ms (${printed} frames)`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
