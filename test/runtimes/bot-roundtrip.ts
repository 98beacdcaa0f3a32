/**
 * The WeCom side of an end-to-end bot round trip, over real HTTP with `fetch`: URL verification,
 * a text callback answered by an encrypted passive stream reply, stream refreshes before and after
 * the app finishes it, a re-delivery, a refused forgery, and an active reply through `response_url`. Requests are encrypted and
 * replies decrypted with `@maven/wecom-crypto` as the runtime resolves it.
 */
import { WeComCrypto } from '@maven/wecom-crypto';
import { assert, assertEqual, type CheckResult, Checks } from './checks.ts';
import {
  ACTIVE_PREFIX,
  activeContent,
  BOT_ID,
  BOT_KEY,
  BOT_TOKEN,
  FINISH_PREFIX,
  streamContent,
} from './fixture.ts';
import type { ResponseUrlSink } from './response-sink.ts';

export interface RoundTripOptions {
  /** Names the target in check names: `fetch`, `hono`, `node-listener`. */
  label: string;
  /** Absolute URL of the bot endpoint. */
  url: string;
  /** A served `ResponseUrlSink` and its base URL, for the active-reply check. */
  sink: { base: string; sink: ResponseUrlSink };
}

interface StreamReply {
  msgtype?: string;
  stream?: { id?: string; finish?: boolean; content?: string };
}

const codec = new WeComCrypto({ token: BOT_TOKEN, encodingAESKey: BOT_KEY, receiveId: '' });
let counter = 0;

function digits(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b, i) => (i === 0 ? 1 + (b % 9) : b % 10)).join('');
}

function now(): string {
  return String(Math.floor(Date.now() / 1000));
}

async function signedQuery(encrypt: string, extra: Record<string, string> = {}) {
  const timestamp = now();
  const nonce = digits(10);
  const signature = await codec.signature(timestamp, nonce, encrypt);
  return { nonce, query: new URLSearchParams({ msg_signature: signature, timestamp, nonce, ...extra }) };
}

/** POSTs an encrypted bot callback; returns the response and the nonce the reply must echo. */
async function post(url: string, message: object, tamper = false) {
  const encrypt = await codec.encrypt(JSON.stringify(message));
  const { nonce, query } = await signedQuery(encrypt);
  if (tamper) query.set('msg_signature', '0'.repeat(40));
  const response = await fetch(`${url}?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ encrypt }),
  });
  return { response, body: await response.text(), nonce };
}

/** Verifies and decrypts a passive reply envelope the way WeCom would. */
async function openReply(body: string, nonce: string): Promise<StreamReply> {
  const envelope = JSON.parse(body) as Record<string, unknown>;
  assertEqual(envelope.nonce, nonce, 'reply nonce (must echo the callback nonce)');
  assert(typeof envelope.msgsignature === 'string', 'reply carries "msgsignature"');
  assert(typeof envelope.encrypt === 'string', 'reply carries "encrypt"');
  const { message, receiveId } = await codec.decryptCallback({
    signature: envelope.msgsignature as string,
    timestamp: String(envelope.timestamp),
    nonce,
    body: JSON.stringify({ encrypt: envelope.encrypt }),
    format: 'json',
  });
  assertEqual(receiveId, '', 'reply receiveId');
  return JSON.parse(message) as StreamReply;
}

function textMessage(content: string, responseUrl: string) {
  counter += 1;
  return {
    msgid: `matrix-${digits(12)}-${counter}`,
    aibotid: BOT_ID,
    chattype: 'single',
    from: { userid: 'zhangsan' },
    response_url: responseUrl,
    msgtype: 'text',
    text: { content },
  };
}

export async function botRoundTrip(options: RoundTripOptions): Promise<CheckResult[]> {
  const checks = new Checks();
  const p = `bot/${options.label}`;
  const { url } = options;
  const code = () => `rc-${options.label}-${digits(8)}`;
  const responseUrl = (c: string) => `${options.sink.base}/cgi-bin/aibot/response?response_code=${c}`;

  await checks.run(`${p}: URL verification answers the bare echostr plaintext`, async () => {
    const echo = digits(19);
    const echostr = await codec.encrypt(echo);
    const { query } = await signedQuery(echostr, { echostr });
    const response = await fetch(`${url}?${query}`);
    assertEqual(response.status, 200, 'status');
    assertEqual(await response.text(), echo, 'body');
  });

  const text = '你好，runtime ✓';
  const first = textMessage(text, responseUrl(code()));
  let streamId: string | undefined;
  const needStream = () => {
    assert(streamId, 'no stream id from the first text callback');
    return streamId;
  };
  const refresh = async () => {
    const { response, body, nonce } = await post(url, {
      msgid: `refresh-${digits(10)}`,
      aibotid: BOT_ID,
      chattype: 'single',
      from: { userid: 'zhangsan' },
      msgtype: 'stream',
      stream: { id: needStream() },
    });
    assertEqual(response.status, 200, 'status');
    return openReply(body, nonce);
  };

  await checks.run(`${p}: text callback gets an encrypted passive stream reply (finish:false)`, async () => {
    const { response, body, nonce } = await post(url, first);
    assertEqual(response.status, 200, 'status');
    const reply = await openReply(body, nonce);
    assertEqual(reply.msgtype, 'stream', 'msgtype');
    assert(typeof reply.stream?.id === 'string' && reply.stream.id.length > 0, 'stream.id is set');
    assertEqual(reply.stream?.content, streamContent(text, false), 'stream.content');
    assertEqual(reply.stream?.finish, false, 'stream.finish');
    streamId = reply.stream?.id;
  });

  await checks.run(`${p}: stream refresh while streaming answers the current content`, async () => {
    const reply = await refresh();
    assertEqual(reply.msgtype, 'stream', 'msgtype');
    assertEqual(reply.stream?.id, needStream(), 'stream.id');
    assertEqual(reply.stream?.finish, false, 'stream.finish');
    assertEqual(reply.stream?.content, streamContent(text, false), 'stream.content');
  });

  await checks.run(`${p}: a re-delivered message (same msgid) gets its stream, not a new one`, async () => {
    const { response, body, nonce } = await post(url, first);
    assertEqual(response.status, 200, 'status');
    const reply = await openReply(body, nonce);
    assertEqual(reply.stream?.id, needStream(), 'stream.id of the re-delivery');
  });

  await checks.run(`${p}: stream refresh after the app finished answers finish:true`, async () => {
    const done = await post(url, textMessage(`${FINISH_PREFIX}${needStream()}`, responseUrl(code())));
    assertEqual(done.response.status, 200, 'status of the finishing callback');
    assertEqual(done.body, '', 'the finishing callback is acknowledged with an empty body');
    const reply = await refresh();
    assertEqual(reply.stream?.id, needStream(), 'stream.id');
    assertEqual(reply.stream?.finish, true, 'stream.finish');
    assertEqual(reply.stream?.content, streamContent(text, true), 'stream.content');
  });

  await checks.run(`${p}: a forged msg_signature is refused with 401 signature_mismatch`, async () => {
    const { response, body } = await post(url, textMessage('forged', responseUrl(code())), true);
    assertEqual(response.status, 401, 'status');
    assertEqual(body, 'signature_mismatch', 'body');
  });

  await checks.run(`${p}: active reply is POSTed to response_url after the acknowledgement`, async () => {
    const c = code();
    const content = `${ACTIVE_PREFIX} 主动回复 ${c}`;
    const { response, body } = await post(url, textMessage(content, responseUrl(c)));
    assertEqual(response.status, 200, 'status');
    assertEqual(body, '', 'acknowledgement body');
    const delivered = JSON.parse(await options.sink.sink.take(c)) as {
      msgtype?: string;
      markdown?: { content?: string };
    };
    assertEqual(delivered.msgtype, 'markdown', 'delivered msgtype');
    assertEqual(delivered.markdown?.content, activeContent(content), 'delivered content');
  });

  return checks.results;
}
