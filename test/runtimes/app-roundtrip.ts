/**
 * The WeCom side of a self-built app (自建应用) round trip over real HTTP: URL verification, an
 * encrypted XML text callback answered by an encrypted passive XML reply, and a refused forgery.
 */
import { parseXml, WeComCrypto, xmlText } from '@maven/wecom-crypto';
import { assert, assertEqual, type CheckResult, Checks } from './checks.ts';
import { APP, appReplyContent } from './fixture.ts';

export interface AppRoundTripOptions {
  /** Names the target in check names: `fetch`, `hono`, `node-listener`. */
  label: string;
  /** Absolute URL of the callback endpoint. */
  url: string;
}

const codec = new WeComCrypto({
  token: APP.token,
  encodingAESKey: APP.encodingAESKey,
  receiveId: APP.corpId,
});

function digits(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b, i) => (i === 0 ? 1 + (b % 9) : b % 10)).join('');
}

async function signed(encrypt: string, extra: Record<string, string> = {}) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = digits(10);
  const signature = await codec.signature(timestamp, nonce, encrypt);
  return new URLSearchParams({ msg_signature: signature, timestamp, nonce, ...extra });
}

function textXml(content: string): string {
  const now = Math.floor(Date.now() / 1000);
  return (
    `<xml><ToUserName><![CDATA[${APP.corpId}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>` +
    `<CreateTime>${now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content>` +
    `<MsgId>${digits(18)}</MsgId><AgentID>${APP.agentId}</AgentID></xml>`
  );
}

async function post(url: string, plaintext: string, tamper = false) {
  const encrypt = await codec.encrypt(plaintext);
  const query = await signed(encrypt);
  if (tamper) query.set('msg_signature', '0'.repeat(40));
  const body =
    `<xml><ToUserName><![CDATA[${APP.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt>` +
    `<AgentID><![CDATA[${APP.agentId}]]></AgentID></xml>`;
  const response = await fetch(`${url}?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body,
  });
  return { response, body: await response.text() };
}

export async function appRoundTrip(options: AppRoundTripOptions): Promise<CheckResult[]> {
  const checks = new Checks();
  const p = `app/${options.label}`;
  const { url } = options;

  await checks.run(`${p}: URL verification answers the bare echostr plaintext`, async () => {
    const echo = digits(19);
    const echostr = await codec.encrypt(echo);
    const response = await fetch(`${url}?${await signed(echostr, { echostr })}`);
    assertEqual(response.status, 200, 'status');
    assertEqual(await response.text(), echo, 'body');
  });

  await checks.run(`${p}: text callback gets an encrypted passive XML reply`, async () => {
    const text = '你好，自建应用 ✓';
    const { response, body } = await post(url, textXml(text));
    assertEqual(response.status, 200, 'status');
    const envelope = parseXml(body);
    const signature = xmlText(envelope, 'MsgSignature');
    const timestamp = xmlText(envelope, 'TimeStamp');
    const nonce = xmlText(envelope, 'Nonce');
    assert(
      signature && timestamp && nonce,
      `reply envelope lacks MsgSignature/TimeStamp/Nonce: ${body.slice(0, 200)}`,
    );
    const { message, receiveId } = await codec.decryptCallback({
      signature,
      timestamp,
      nonce,
      body,
      format: 'xml',
    });
    assertEqual(receiveId, APP.corpId, 'reply receiveId');
    const reply = parseXml(message);
    assertEqual(xmlText(reply, 'MsgType'), 'text', 'MsgType');
    assertEqual(xmlText(reply, 'ToUserName'), 'zhangsan', 'ToUserName');
    assertEqual(xmlText(reply, 'Content'), appReplyContent(text), 'Content');
  });

  await checks.run(`${p}: a forged msg_signature is refused with 401`, async () => {
    const { response } = await post(url, textXml('forged'), true);
    assertEqual(response.status, 401, 'status');
  });

  return checks.results;
}
