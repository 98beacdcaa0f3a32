/**
 * `wecom-sim send`: one encrypted callback like WeCom sends, then the decrypted reply. In bot mode a
 * simulator receives the response_url post and prints it.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { appEvent, appImage, appText } from '../app-messages.js';
import { type BotMessage, type BotMessageOptions, botEvent, botImage, botText } from '../bot-messages.js';
import { explainRefusal } from '../doctor-refusals.js';
import { mask } from '../mask.js';
import { randomCode } from '../random.js';
import { startWeComSimulator, type WeComSimulator } from '../sim/simulator.js';
import {
  type Env,
  intOption,
  KEYS_HELP,
  keysFrom,
  modeOption,
  type Output,
  required,
  shownUrl,
  UsageError,
  withEnv,
} from './output.js';
import { sendWs } from './send-ws.js';

export const SEND_USAGE = `wecom-sim send --url URL --token TOKEN --key ENCODING_AES_KEY [--mode bot|app]
               [--corp-id ID --agent-id N] [--text "hi" | --image FILE|URL | --event enter_chat]
               [--from USERID] [--chat-type single|group] [--chat-id ID]
               [--stream] [--interval MS] [--wait MS] [--timeout MS] [--once]
  Sends one callback and prints the decrypted reply. Bot mode also starts a local simulator for the
  message's response_url and prints what the webhook posts there (waits up to --wait ms).
  --image      bot mode: a file is served encrypted by the local simulator (http: the bot must allow
               it, media.protocols), a URL is sent as is; app mode: the PicUrl (with a MediaId)
  --chat-type  bot mode: group sends to --chat-id (a generated one when absent); --chat-id alone
               means group
  --stream     polls the stream refreshes until finish (every --interval ms, default 500)
${KEYS_HELP}
wecom-sim send --mode ws --sim SIM_URL --bot BOTID [--text "hi" | --event enter_chat] [--from USERID]
               [--chat-type single|group] [--chat-id ID] [--timeout MS]
  Makes a running simulator push the callback to the bot on its long connection and prints every
  reply frame for it as a JSON line until the reply is final or --timeout.`;

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

/** A bot image: a URL as given, or a local file put on the simulator's media CDN. */
function imageUrl(image: string, sim: WeComSimulator, encodingAESKey: string): string {
  if (/^https?:\/\//.test(image)) return image;
  let bytes: Buffer;
  try {
    bytes = readFileSync(image);
  } catch {
    throw new UsageError(`--image: cannot read ${image} (give a readable file or an http(s) URL)`);
  }
  return sim.putMedia(bytes, {
    encodingAESKey,
    contentType: IMAGE_TYPES[extname(image).toLowerCase()] ?? 'application/octet-stream',
  });
}

/** A non-200 answer: the status line is printed already; the body and what it usually means. */
function explainStatus(io: Output, res: { status: number; body: string }, mode: 'bot' | 'app'): void {
  if (res.status === 0 || res.status === 200) return;
  if (res.body.length > 0) io.out(`body: ${res.body.slice(0, 300).replace(/\s+/g, ' ')}`);
  const why = explainRefusal(res.status, res.body, undefined, { method: 'POST', mode });
  if (why !== undefined) {
    io.out(`✗ [${why.code}] ${why.message}`);
    if (why.hint !== undefined) io.out(`  → ${why.hint}`);
  }
  io.out('  → run `wecom-sim doctor` with the same --url, --token and --key for a full diagnosis');
}

export async function sendCommand(argv: string[], io: Output, env: Env = {}): Promise<number> {
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
      image: { type: 'string' },
      from: { type: 'string' },
      'chat-type': { type: 'string' },
      'chat-id': { type: 'string' },
      stream: { type: 'boolean' },
      wait: { type: 'string' },
      timeout: { type: 'string' },
      interval: { type: 'string' },
      once: { type: 'boolean' },
      sim: { type: 'string' },
      bot: { type: 'string' },
    },
  });
  if (values.mode === 'ws') return sendWs(values, io);
  const url = required('url', values.url);
  const mode = modeOption(values.mode);
  const { token, key } = keysFrom(values, env, mode);
  if ([values.text, values.event, values.image].filter((v) => v !== undefined).length > 1)
    throw new UsageError('give one of --text, --image or --event');
  const chatType = values['chat-type'];
  if (chatType !== undefined && chatType !== 'single' && chatType !== 'group')
    throw new UsageError('--chat-type must be "single" or "group"');
  if (chatType === 'single' && values['chat-id'] !== undefined)
    throw new UsageError('--chat-id is for --chat-type group');
  if (mode === 'app' && values.image !== undefined && !/^https?:\/\//.test(values.image))
    throw new UsageError('--image in app mode is the PicUrl: give an http(s) URL');
  if (mode === 'app' && (chatType !== undefined || values['chat-id'] !== undefined))
    throw new UsageError('--chat-type and --chat-id are for bot mode (app callbacks have no group chats)');
  const delivery = {
    redeliverAfterMs: intOption('timeout', values.timeout, 5000, 1),
    redeliver: values.once !== true,
  };
  io.out(`wecom-sim send: ${mode} mode, ${shownUrl(url)}, token ${mask(token)}, EncodingAESKey ${mask(key)}`);
  if (mode === 'app') {
    const corpId = required('corp-id', withEnv(values['corp-id'], env, ['WECOM_CORP_ID']));
    const agentId = intOption(
      'agent-id',
      required('agent-id', withEnv(values['agent-id'], env, ['WECOM_AGENT_ID'])),
      0,
    );
    const sim = await startWeComSimulator();
    try {
      const driver = sim.app({ corpId, agentId, token, encodingAESKey: key });
      const from = values.from ?? 'zhangsan';
      const message =
        values.event !== undefined
          ? appEvent(values.event, { from, corpId, agentId })
          : values.image !== undefined
            ? appImage({ picUrl: values.image, mediaId: `sim-${randomCode()}`, from, corpId, agentId })
            : appText({ content: values.text ?? 'hello', from, corpId, agentId });
      const res = await driver.send(url, message, { ...delivery, strictReply: false });
      io.out(
        `← HTTP ${res.status === 0 ? 'no answer' : res.status} after ${res.deliveries} deliver${res.deliveries === 1 ? 'y' : 'ies'}`,
      );
      explainStatus(io, res, mode);
      if (res.replyError !== undefined) {
        io.out(`✗ the reply would be rejected by WeCom: ${res.replyError.message}`);
        return 1;
      }
      if (res.status !== 200) return 1;
      io.out(res.reply === null ? 'reply: (empty — no passive reply)' : `reply:\n${res.reply.xml}`);
      return 0;
    } finally {
      await sim.close();
    }
  }
  const sim = await startWeComSimulator();
  try {
    const bot = sim.bot({ token, encodingAESKey: key });
    const common: BotMessageOptions = {
      ...(values.from === undefined ? {} : { from: values.from }),
      ...(chatType === undefined ? {} : { chattype: chatType }),
      ...(values['chat-id'] === undefined ? {} : { chatid: values['chat-id'] }),
    };
    const message: BotMessage =
      values.event !== undefined
        ? botEvent(values.event, {}, common)
        : values.image !== undefined
          ? botImage({ url: imageUrl(values.image, sim, key), ...common })
          : botText({ content: values.text ?? 'hello', ...common });
    const res = await bot.send(url, message, { ...delivery, strictReply: false });
    io.out(
      `← HTTP ${res.status === 0 ? 'no answer' : res.status} after ${res.deliveries} deliver${res.deliveries === 1 ? 'y' : 'ies'}`,
    );
    explainStatus(io, res, mode);
    if (res.replyError !== undefined) {
      io.out(`✗ the reply would be rejected by WeCom: ${res.replyError.message}`);
      return 1;
    }
    if (res.status !== 200) return 1;
    io.out(res.reply === null ? 'reply: (empty — no passive reply)' : `reply: ${JSON.stringify(res.reply)}`);
    let ok = true;
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
    } else if (streamId !== undefined && res.reply?.stream?.finish !== true) {
      io.out(
        `note: the reply is an unfinished stream (id ${streamId}); WeCom would now send refresh callbacks until finish: add --stream to send them and print each frame`,
      );
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
