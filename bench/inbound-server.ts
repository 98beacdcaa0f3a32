/**
 * The server under test of the inbound benchmark, run as a child process (its own event loop, its
 * own core): `node --import tsx bench/inbound-server.ts '<json config>'`.
 *
 * - `kind: 'bot'`: a WeComBot on /wecom/bot whose text listener replies passively (ctx.reply within
 *   the deadline), so every callback is verified, decrypted, parsed, deduplicated and answered with
 *   an encrypted passive reply.
 * - `kind: 'app'`: a CallbackRouter with `apps` apps on /wecom/callback whose text listener replies
 *   passively (encrypted XML).
 *
 * Both sit beside a bare `POST /bare` → `200 success` route of the same framework, and a
 * hand-written `POST /floor` that does only the unavoidable work (see `floorFor`). Tells the parent
 * `{ ready, port }` over IPC; answers `{ cpu }` (µs used so far) to 'cpu' and `{ stats }` to
 * 'stats'; exits on 'stop'.
 */
import { WeComBot } from '../packages/bot/src/index.ts';
import { CallbackRouter } from '../packages/callback/src/index.ts';
import { silentLogger, type WeComHandler } from '../packages/core/src/index.ts';
import { parseXml, WeComCryptoSync, xmlText } from '../packages/crypto/src/index.node.ts';
import { type AdapterName, type FloorHandler, serve } from './lib/frameworks.ts';
import { BOT_KEYS, benchApps } from './lib/keys.ts';

export interface InboundServerConfig {
  adapter: AdapterName;
  kind: 'bot' | 'app';
  /** Apps on the router (kind 'app'). */
  apps?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as InboundServerConfig;
let replies = 0;
let handler: WeComHandler;
let floor: FloorHandler;

/**
 * The floor: what any correct receiver must do, written by hand with the synchronous codec and no
 * policy at all — verify the signature, decrypt, parse, build the reply, encrypt and sign it. No
 * dedup, timestamp window, allowlist, listeners, deadline or bookkeeping.
 */
function floorFor(crypto: WeComCryptoSync, format: 'json' | 'xml'): FloorHandler {
  return (url, body) => {
    const query = new URLSearchParams(url.slice(url.indexOf('?') + 1));
    const timestamp = query.get('timestamp') ?? '';
    const nonce = query.get('nonce') ?? '';
    const { message } = crypto.decryptCallback({
      signature: query.get('msg_signature') ?? '',
      timestamp,
      nonce,
      body,
      format,
    });
    if (format === 'json') {
      const msgid = (JSON.parse(message) as { msgid: string }).msgid;
      const reply = JSON.stringify({
        msgtype: 'stream',
        stream: { id: msgid, finish: true, content: `echo ${msgid}` },
      });
      return {
        status: 200,
        type: 'application/json',
        body: crypto.encryptReply(reply, { format, nonce, timestamp }),
      };
    }
    const xml = parseXml(message);
    const reply =
      `<xml><ToUserName><![CDATA[${xmlText(xml, 'FromUserName')}]]></ToUserName><FromUserName><![CDATA[${xmlText(xml, 'ToUserName')}]]></FromUserName>` +
      `<CreateTime>${timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[echo ${xmlText(xml, 'MsgId')}]]></Content></xml>`;
    return {
      status: 200,
      type: 'application/xml',
      body: crypto.encryptReply(reply, { format, nonce, timestamp }),
    };
  };
}
if (config.kind === 'bot') {
  const bot = new WeComBot({
    ...BOT_KEYS,
    receiveId: '',
    path: '/wecom/bot',
    // The pool of signed requests is made before measuring; their timestamps age during the run.
    timestampWindow: false,
    logger: silentLogger,
  });
  bot.on('text', (message, ctx) => {
    replies++;
    return ctx.reply(`echo ${message.msgId}`);
  });
  handler = bot;
  floor = floorFor(new WeComCryptoSync({ ...BOT_KEYS, receiveId: '', timestampWindow: false }), 'json');
} else {
  const router = new CallbackRouter({
    apps: benchApps(config.apps ?? 1).map(({ corpSecret: _secret, ...app }) => app),
    path: '/wecom/callback',
    timestampWindow: false,
    logger: silentLogger,
  });
  router.on('text', (message, ctx) => {
    replies++;
    return ctx.reply(`echo ${message.msgId}`);
  });
  handler = router;
  const target = benchApps(config.apps ?? 1).at(-1)!;
  floor = floorFor(
    new WeComCryptoSync({
      token: target.token,
      encodingAESKey: target.encodingAESKey,
      receiveId: target.corpId,
      timestampWindow: false,
    }),
    'xml',
  );
}

const served = await serve(config.adapter, [handler], { floor });
process.send?.({ ready: true, port: served.port });
process.on('message', (message) => {
  if (message === 'cpu') {
    const used = process.cpuUsage();
    process.send?.({ cpu: used.user + used.system });
  } else if (message === 'stats') {
    process.send?.({ stats: { replies, rss: process.memoryUsage().rss } });
  } else if (message === 'stop') {
    void handler
      .close({ timeoutMs: 1000 })
      .then(() => served.close())
      .finally(() => process.exit(0));
    // Keep-alive connections of the load generator may linger: do not wait for them.
    setTimeout(() => process.exit(0), 2000).unref();
  }
});
