/**
 * More generated hostile requests (the classes issue 16 adds): duplicated query parameters,
 * Unicode in nonce and timestamp, Content-Type lies, timestamps far in the past and future,
 * base64 with line breaks, XML billion laughs and external entities inside signed frames,
 * `__proto__`/`constructor` keys inside signed frames, 100k-deep JSON. Every one must be refused
 * with a 4xx: where a request is signed, something a strict server must refuse is left in it.
 */
import { encryptFrame, signature, signedQuery } from './frames.ts';
import { APP, APP_PATH, BOT, BOT_PATH } from './keys.ts';
import { pick } from './random.ts';

type Random = () => number;
export type Generator = (r: Random) => {
  method: string;
  path: string;
  body: string | Buffer;
  headers?: Record<string, string>;
};

const nowSeconds = () => Math.floor(Date.now() / 1000);

function botPlain(r: Random): string {
  return JSON.stringify({
    msgid: `hostile-more${Math.floor(r() * 1e12)}`,
    aibotid: BOT.aibotid,
    chattype: 'single',
    from: { userid: 'mallory' },
    msgtype: 'text',
    text: { content: 'p|0|hostile' },
  });
}

function appPlain(r: Random): string {
  return (
    `<xml><ToUserName><![CDATA[${APP.corpId}]]></ToUserName><FromUserName><![CDATA[mallory]]></FromUserName>` +
    `<CreateTime>${nowSeconds()}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
    `<Content><![CDATA[p|0|hostile]]></Content><MsgId>${7_100_000_000_000_000_000n + BigInt(Math.floor(r() * 1e12))}</MsgId>` +
    `<AgentID>${APP.agentId}</AgentID></xml>`
  );
}

const botEncrypt = (r: Random) => encryptFrame(BOT.encodingAESKey, { message: botPlain(r), receiveId: '' });
const appEncrypt = (r: Random) =>
  encryptFrame(APP.encodingAESKey, { message: appPlain(r), receiveId: APP.corpId });
const botEnvelope = (encrypt: string) => JSON.stringify({ encrypt });
const appEnvelope = (encrypt: string) =>
  `<xml><ToUserName><![CDATA[${APP.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID><![CDATA[${APP.agentId}]]></AgentID></xml>`;

/**
 * The signed query with one parameter given twice: the first value is wrong (a bogus signature, a
 * stale or non-numeric timestamp), a later one right. A server that reads the first refuses; one
 * that reads the last would let the wrong half through unchecked.
 */
function duplicated(r: Random, token: string, encrypt: string): string {
  const timestamp = String(nowSeconds());
  const nonce = String(pick(r, 1e9));
  const sig = signature(token, timestamp, nonce, encrypt);
  switch (pick(r, 4)) {
    case 0:
      return `msg_signature=${'0'.repeat(40)}&msg_signature=${sig}&timestamp=${timestamp}&nonce=${nonce}`;
    case 1: {
      const stale = String(nowSeconds() - 86_400);
      return `msg_signature=${signature(token, stale, nonce, encrypt)}&timestamp=${stale}&timestamp=${timestamp}&nonce=${nonce}&msg_signature=${sig}`;
    }
    case 2:
      return `msg_signature=${sig}&timestamp=x${timestamp}&timestamp=${timestamp}&nonce=${nonce}`;
    default:
      return `msg_signature=${sig}&msg_signature[]=${sig}&timestamp=${timestamp}&nonce=other&nonce=${nonce}`;
  }
}

/** Timestamps in digits that are not ASCII, with a Unicode nonce; signed over exactly those values. */
function unicodeQuery(r: Random, token: string, encrypt: string): string {
  const t = String(nowSeconds());
  const forms = [
    [...t].map((d) => String.fromCharCode(0xff10 + Number(d))).join(''), // fullwidth digits
    [...t].map((d) => String.fromCharCode(0x0660 + Number(d))).join(''), // Arabic-Indic digits
    `${t}\u200b`, // zero-width space
    `\u202e${t}`, // right-to-left override
    `${t.slice(0, 5)}٫${t.slice(5)}`,
  ];
  const timestamp = forms[pick(r, forms.length)]!;
  const nonces = ['随机数', '🚀🚀', 'n\u0000once', 'é\u0301', '\ud800'];
  const nonce = nonces[pick(r, nonces.length)]!;
  const sig = signature(token, timestamp, nonce, encrypt);
  return `msg_signature=${sig}&timestamp=${encodeURIComponent(timestamp.replace('\ud800', '?'))}&nonce=${encodeURIComponent(nonce.replace('\ud800', '?'))}`;
}

/** Far outside any replay window, and forms no clock produces. */
function farTimestamp(r: Random): string {
  const forms = [
    String(nowSeconds() + 3600 + pick(r, 1e9)),
    String(nowSeconds() - 86_400 * (1 + pick(r, 20_000))),
    '0',
    '-1',
    '1',
    String(2 ** 53 + pick(r, 100)),
    '9'.repeat(30),
    '1e10',
    '0x65a0b1c2',
    String(nowSeconds() * 1000), // milliseconds
  ];
  return forms[pick(r, forms.length)]!;
}

/** The base64 of `encrypt` cut by line breaks (MIME style), signed as sent. */
function withLineBreaks(r: Random, encrypt: string): string {
  const width = [64, 76, 4, 1][pick(r, 4)]!;
  const sep = ['\n', '\r\n', ' ', '\t'][pick(r, 4)]!;
  const lines: string[] = [];
  for (let i = 0; i < encrypt.length; i += width) lines.push(encrypt.slice(i, i + width));
  return lines.join(sep);
}

const BILLION_LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from(
    { length: 9 },
    (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
  ).join('') +
  ']><xml><ToUserName>&lol9;</ToUserName><MsgType>text</MsgType><Content>&lol9;</Content></xml>';

const EXTERNAL_ENTITIES = [
  '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><ToUserName>&x;</ToUserName><MsgType>text</MsgType><Content>&x;</Content></xml>',
  '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "http://127.0.0.1:1/xxe">]><xml><Content>&x;</Content></xml>',
  '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:1/dtd"> %p;]><xml><Content>x</Content></xml>',
  '<?xml version="1.0"?><!DOCTYPE xml SYSTEM "file:///dev/random"><xml><Content>x</Content></xml>',
];

/**
 * Signed messages for another bot (top-level aibotid), with `__proto__`/`constructor` keys that
 * carry this bot's aibotid: refused for the aibotid, and only if no prototype value is taken.
 */
const PROTO_JSON = [
  `{"aibotid":"another-bot","__proto__":{"aibotid":"${BOT.aibotid}"},"msgid":"p1","msgtype":"text","text":{"content":"x"}}`,
  `{"constructor":{"prototype":{"aibotid":"${BOT.aibotid}"}},"aibotid":"another-bot","msgid":"p2","msgtype":"text","text":{"content":"x"}}`,
  `{"aibotid":"another-bot","msgid":{"__proto__":"p3"},"msgtype":"__proto__","__proto__":{"text":{"content":"x"}}}`,
  `{"aibotid":"another-bot","msgid":"p4","msgtype":"constructor","constructor":{"content":"x"},"from":{"__proto__":{"userid":"admin"}}}`,
];

const PROTO_XML = [
  '<__proto__><ToUserName>x</ToUserName><MsgType>text</MsgType></__proto__>',
  '<xml><__proto__><MsgType>text</MsgType><MsgId>1</MsgId></__proto__></xml>',
  '<xml><constructor><prototype><MsgType>text</MsgType></prototype></constructor></xml>',
  '<xml><ToUserName>x</ToUserName><MsgType>__proto__</MsgType><__proto__>y</__proto__></xml>',
];

/** Body and Content-Type that disagree, each body also wrong for its endpoint. */
function contentTypeLie(r: Random, bot: boolean): { headers: Record<string, string>; body: string | Buffer } {
  const lies: { headers: Record<string, string>; body: string | Buffer }[] = [
    { headers: { 'content-type': 'application/json' }, body: appEnvelope('abc') },
    { headers: { 'content-type': 'text/xml' }, body: botEnvelope('abc') },
    {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'encrypt=abc&msg_signature=0&__proto__[x]=1',
    },
    {
      headers: { 'content-type': 'multipart/form-data; boundary=zz' },
      body: '--zz\r\nContent-Disposition: form-data; name="encrypt"\r\n\r\nabc\r\n--zz--\r\n',
    },
    {
      headers: { 'content-type': 'application/json; charset=utf-16le' },
      body: Buffer.from('{"encrypt":"abc"}', 'utf16le'),
    },
    {
      headers: { 'content-type': 'image/png' },
      body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    },
    {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: '{"encrypt":"abc"}',
    },
    {
      headers: { 'content-type': 'text/xml; charset=bogus-charset' },
      body: '<xml><Encrypt>abc</Encrypt></xml>',
    },
    { headers: { 'content-type': '' }, body: bot ? botEnvelope('abc') : appEnvelope('abc') },
  ];
  return lies[pick(r, lies.length)]!;
}

export const MORE_BOT_GENERATORS: Record<string, Generator> = {
  'bot: duplicated query parameters': (r) => {
    const encrypt = botEncrypt(r);
    return {
      method: 'POST',
      path: `${BOT_PATH}?${duplicated(r, BOT.token, encrypt)}`,
      body: botEnvelope(encrypt),
    };
  },
  'bot: Unicode nonce and timestamp': (r) => {
    const encrypt = botEncrypt(r);
    return {
      method: 'POST',
      path: `${BOT_PATH}?${unicodeQuery(r, BOT.token, encrypt)}`,
      body: botEnvelope(encrypt),
    };
  },
  'bot: Content-Type lies': (r) => {
    const lie = contentTypeLie(r, true);
    return { method: 'POST', path: `${BOT_PATH}?${signedQuery(BOT.token, 'abc')}`, ...lie };
  },
  'bot: timestamps far in the past and future': (r) => {
    const encrypt = botEncrypt(r);
    const query = signedQuery(BOT.token, encrypt, { timestamp: farTimestamp(r) });
    return { method: 'POST', path: `${BOT_PATH}?${query}`, body: botEnvelope(encrypt) };
  },
  'bot: base64 with line breaks': (r) => {
    const encrypt = withLineBreaks(r, botEncrypt(r));
    return {
      method: 'POST',
      path: `${BOT_PATH}?${signedQuery(BOT.token, encrypt)}`,
      body: botEnvelope(encrypt),
    };
  },
  'bot: signed __proto__/constructor message': (r) => {
    const message = PROTO_JSON[pick(r, PROTO_JSON.length)]!;
    const encrypt = encryptFrame(BOT.encodingAESKey, { message, receiveId: '' });
    return {
      method: 'POST',
      path: `${BOT_PATH}?${signedQuery(BOT.token, encrypt)}`,
      body: botEnvelope(encrypt),
    };
  },
};

export const MORE_APP_GENERATORS: Record<string, Generator> = {
  'app: duplicated query parameters': (r) => {
    const encrypt = appEncrypt(r);
    return {
      method: 'POST',
      path: `${APP_PATH}?${duplicated(r, APP.token, encrypt)}`,
      body: appEnvelope(encrypt),
    };
  },
  'app: Unicode nonce and timestamp': (r) => {
    const encrypt = appEncrypt(r);
    return {
      method: 'POST',
      path: `${APP_PATH}?${unicodeQuery(r, APP.token, encrypt)}`,
      body: appEnvelope(encrypt),
    };
  },
  'app: Content-Type lies': (r) => {
    const lie = contentTypeLie(r, false);
    return { method: 'POST', path: `${APP_PATH}?${signedQuery(APP.token, 'abc')}`, ...lie };
  },
  'app: timestamps far in the past and future': (r) => {
    const encrypt = appEncrypt(r);
    const query = signedQuery(APP.token, encrypt, { timestamp: farTimestamp(r) });
    return { method: 'POST', path: `${APP_PATH}?${query}`, body: appEnvelope(encrypt) };
  },
  'app: base64 with line breaks': (r) => {
    const encrypt = withLineBreaks(r, appEncrypt(r));
    return {
      method: 'POST',
      path: `${APP_PATH}?${signedQuery(APP.token, encrypt)}`,
      body: appEnvelope(encrypt),
    };
  },
  'app: signed billion laughs': () => {
    const encrypt = encryptFrame(APP.encodingAESKey, { message: BILLION_LAUGHS, receiveId: APP.corpId });
    return {
      method: 'POST',
      path: `${APP_PATH}?${signedQuery(APP.token, encrypt)}`,
      body: appEnvelope(encrypt),
    };
  },
  'app: signed external entities': (r) => {
    const message = EXTERNAL_ENTITIES[pick(r, EXTERNAL_ENTITIES.length)]!;
    const encrypt = encryptFrame(APP.encodingAESKey, { message, receiveId: APP.corpId });
    return {
      method: 'POST',
      path: `${APP_PATH}?${signedQuery(APP.token, encrypt)}`,
      body: appEnvelope(encrypt),
    };
  },
  'app: signed __proto__/constructor message': (r) => {
    const message = PROTO_XML[pick(r, PROTO_XML.length)]!;
    const encrypt = encryptFrame(APP.encodingAESKey, { message, receiveId: APP.corpId });
    return {
      method: 'POST',
      path: `${APP_PATH}?${signedQuery(APP.token, encrypt)}`,
      body: appEnvelope(encrypt),
    };
  },
  'app: wrong method or path': (r) => {
    const method = ['PUT', 'DELETE', 'PATCH'][pick(r, 3)]!;
    return { method, path: `${APP_PATH}?${signedQuery(APP.token, 'abc')}`, body: '<xml/>' };
  },
};

export const MORE_HEAVY_GENERATORS: Record<string, Generator> = {
  'bot: 100k-deep JSON': (r) => {
    const depth = 100_000;
    const body =
      pick(r, 2) === 0
        ? `{"encrypt":${'['.repeat(depth)}${']'.repeat(depth)}}`
        : `${'{"__proto__":'.repeat(depth)}1${'}'.repeat(depth)}`;
    return { method: 'POST', path: `${BOT_PATH}?${signedQuery(BOT.token, 'abc')}`, body };
  },
};
