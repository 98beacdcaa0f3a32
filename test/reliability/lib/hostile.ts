/**
 * Generated malformed requests for the AI-bot (JSON) and app (XML) endpoints. Each generator is a
 * category; every request it makes must be refused with a 4xx, and none may be accepted: requests
 * that are validly signed are broken inside the frame (padding, length, receiveId, plaintext),
 * never merely unusual.
 */
import { randomBytes } from 'node:crypto';
import { encryptFrame, signature, signedQuery, wecomPadding } from './frames.ts';
import { MORE_APP_GENERATORS, MORE_BOT_GENERATORS, MORE_HEAVY_GENERATORS } from './hostile-more.ts';
import { APP, APP_PATH, BOT, BOT_PATH } from './keys.ts';
import { pick } from './random.ts';

export interface HostileRequest {
  category: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
}

type Random = () => number;
type Generator = (r: Random) => Omit<HostileRequest, 'category' | 'headers'> & {
  headers?: Record<string, string>;
};

const JSON_TYPE = { 'content-type': 'application/json' };
const XML_TYPE = { 'content-type': 'text/xml' };

function now(): string {
  return String(Math.floor(Date.now() / 1000));
}

function botMessage(r: Random): string {
  return JSON.stringify({
    msgid: `hostile${Math.floor(r() * 1e12)}`,
    aibotid: BOT.aibotid,
    chattype: 'single',
    from: { userid: 'mallory' },
    msgtype: 'text',
    text: { content: 'p|0|hostile' },
  });
}

function appMessage(r: Random, corpId = APP.corpId): string {
  return (
    `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><FromUserName><![CDATA[mallory]]></FromUserName>` +
    `<CreateTime>${now()}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
    `<Content><![CDATA[p|0|hostile]]></Content><MsgId>${7_000_000_000_000_000_000n + BigInt(Math.floor(r() * 1e12))}</MsgId>` +
    `<AgentID>${APP.agentId}</AgentID></xml>`
  );
}

const botEnvelope = (encrypt: string) => JSON.stringify({ encrypt });
const appEnvelope = (encrypt: string) =>
  `<xml><ToUserName><![CDATA[${APP.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID><![CDATA[${APP.agentId}]]></AgentID></xml>`;

/** A valid bot frame for the message (a correct request, before it is broken). */
function goodBotEncrypt(r: Random): string {
  return encryptFrame(BOT.encodingAESKey, { message: botMessage(r), receiveId: '' });
}
function goodAppEncrypt(r: Random): string {
  return encryptFrame(APP.encodingAESKey, { message: appMessage(r), receiveId: APP.corpId });
}

function mutate(text: string, r: Random): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const i = pick(r, text.length - 2);
  let c = alphabet[pick(r, alphabet.length)]!;
  if (c === text[i]) c = c === 'A' ? 'B' : 'A';
  return text.slice(0, i) + c + text.slice(i + 1);
}

/** Paddings WeCom's strict check must refuse. */
const BAD_PADDINGS: ((n: number) => Buffer)[] = [
  () => Buffer.alloc(16, 0), // pad byte 0
  () => Buffer.alloc(16, 33), // pad byte 33 (> 32)
  () => Buffer.alloc(16, 0xff),
  (n) => {
    const pad = wecomPadding(n);
    pad[0] = (pad[0]! + 1) % 256; // inconsistent bytes
    return pad.length > 1 ? pad : Buffer.from([0, 2]);
  },
];

/** Broken frames, each correctly signed (the decryption checks must refuse them). */
function brokenFrame(r: Random, key: string, message: string, receiveId: string): string {
  switch (pick(r, 8)) {
    case 0:
      return encryptFrame(key, { message, receiveId, padding: BAD_PADDINGS[pick(r, BAD_PADDINGS.length)]! });
    case 1:
      return encryptFrame(key, { message, receiveId, lengthField: 0xffffffff });
    case 2:
      return encryptFrame(key, { message, receiveId, lengthField: message.length + 1000 + pick(r, 100_000) });
    case 3:
      return encryptFrame(key, { message, receiveId: `${receiveId}x-wrong-${pick(r, 1000)}` });
    case 4: {
      // Not a whole number of AES blocks.
      const full = Buffer.from(encryptFrame(key, { message, receiveId }), 'base64');
      return full.subarray(0, full.length - 1 - pick(r, 15)).toString('base64');
    }
    case 5:
      return `${encryptFrame(key, { message, receiveId }).slice(0, 40)}!!%%**${'?'.repeat(pick(r, 10))}`;
    case 6:
      return randomBytes(16 * (1 + pick(r, 4)))
        .toString('base64')
        .slice(0, 10); // far too short
    default:
      return encryptFrame(key, { message: randomBytes(200), receiveId: '' }); // plaintext of random bytes
  }
}

/** Plaintexts that decrypt and are refused by the parser: not JSON, not an object. */
const BAD_BOT_PLAINTEXTS = ['not json', '[1,2,3]', 'null', '42', '"text"', '{"msgid":', '\u0000\u0001'];
/** Plaintexts that decrypt and are refused by the XML parser (no XML, DOCTYPE, entities). */
const BAD_APP_PLAINTEXTS = [
  'not xml',
  '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><ToUserName>&x;</ToUserName></xml>',
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><Content>&lol2;</Content></xml>',
  '<xml><unclosed>',
];

function deepJson(r: Random): string {
  const depth = 1000 + pick(r, 200_000);
  return pick(r, 2) === 0
    ? `{"encrypt":${'['.repeat(depth)}${']'.repeat(depth)}}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

function hugeJson(r: Random): string {
  const keys = 1000 + pick(r, 40_000);
  const parts: string[] = [];
  for (let i = 0; i < keys; i++) parts.push(`"k${i}":"${'v'.repeat(8)}"`);
  return `{${parts.join(',')},"encrypt":"${goodBotEncrypt(r)}"}`;
}

function deepXml(r: Random): string {
  const depth = 100 + pick(r, 5000);
  return `<xml>${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}<Encrypt>abc</Encrypt></xml>`;
}

const BOT_GENERATORS: Record<string, Generator> = {
  ...MORE_BOT_GENERATORS,
  'bot: bad signature': (r) => {
    const encrypt = goodBotEncrypt(r);
    const sigs = [
      '0'.repeat(40),
      randomBytes(20).toString('hex'),
      'zz',
      `${signature(BOT.token, now(), '1', encrypt)}00`,
    ];
    return {
      method: 'POST',
      path: `${BOT_PATH}?msg_signature=${sigs[pick(r, sigs.length)]}&timestamp=${now()}&nonce=${pick(r, 1e9)}`,
      body: botEnvelope(encrypt),
    };
  },
  'bot: missing parameters': (r) => {
    const encrypt = goodBotEncrypt(r);
    const params = new URLSearchParams(signedQuery(BOT.token, encrypt));
    params.delete(['msg_signature', 'timestamp', 'nonce'][pick(r, 3)]!);
    return { method: 'POST', path: `${BOT_PATH}?${params}`, body: botEnvelope(encrypt) };
  },
  'bot: mutated ciphertext': (r) => {
    const encrypt = goodBotEncrypt(r);
    return {
      method: 'POST',
      path: `${BOT_PATH}?${signedQuery(BOT.token, encrypt)}`,
      body: botEnvelope(mutate(encrypt, r)),
    };
  },
  'bot: signed, broken frame': (r) => {
    const encrypt = brokenFrame(r, BOT.encodingAESKey, botMessage(r), '');
    return {
      method: 'POST',
      path: `${BOT_PATH}?${signedQuery(BOT.token, encrypt)}`,
      body: botEnvelope(encrypt),
    };
  },
  'bot: signed, bad plaintext': (r) => {
    const message = BAD_BOT_PLAINTEXTS[pick(r, BAD_BOT_PLAINTEXTS.length)]!;
    const encrypt = encryptFrame(BOT.encodingAESKey, { message, receiveId: '' });
    return {
      method: 'POST',
      path: `${BOT_PATH}?${signedQuery(BOT.token, encrypt)}`,
      body: botEnvelope(encrypt),
    };
  },
  'bot: stale timestamp': (r) => {
    const encrypt = goodBotEncrypt(r);
    const timestamp = String(Math.floor(Date.now() / 1000) - 3600 - pick(r, 1e6));
    return {
      method: 'POST',
      path: `${BOT_PATH}?${signedQuery(BOT.token, encrypt, { timestamp })}`,
      body: botEnvelope(encrypt),
    };
  },
  'bot: __proto__ keys': (r) => {
    const encrypt = goodBotEncrypt(r);
    const bodies = [
      `{"__proto__":{"encrypt":"${encrypt}"}}`,
      `{"constructor":{"prototype":{"encrypt":"${encrypt}"}}}`,
      `{"encrypt":{"__proto__":"${encrypt}"}}`,
      `{"encrypt":["${encrypt}"]}`,
    ];
    const query =
      pick(r, 4) === 0
        ? `__proto__[msg_signature]=x&timestamp=${now()}&nonce=1`
        : signedQuery(BOT.token, encrypt);
    return { method: 'POST', path: `${BOT_PATH}?${query}`, body: bodies[pick(r, bodies.length)]! };
  },
  'bot: garbage body': (r) => {
    const bodies: (string | Buffer)[] = [
      '',
      'null',
      '[]',
      '"x"',
      '{',
      appEnvelope('abc'),
      randomBytes(1 + pick(r, 2000)),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
    ];
    return {
      method: 'POST',
      path: `${BOT_PATH}?${signedQuery(BOT.token, 'abc')}`,
      body: bodies[pick(r, bodies.length)]!,
    };
  },
  'bot: wrong method or path': (r) => {
    const method = ['PUT', 'DELETE', 'PATCH'][pick(r, 3)]!;
    return { method, path: `${BOT_PATH}?${signedQuery(BOT.token, 'abc')}`, body: '{}' };
  },
  'bot: bad URL verification': (r) => {
    const echostr = pick(r, 2) === 0 ? randomBytes(24).toString('base64') : goodBotEncrypt(r);
    const query = `msg_signature=${randomBytes(20).toString('hex')}&timestamp=${now()}&nonce=1&echostr=${encodeURIComponent(echostr)}`;
    return { method: 'GET', path: `${BOT_PATH}?${query}`, body: '' };
  },
};

const APP_GENERATORS: Record<string, Generator> = {
  ...MORE_APP_GENERATORS,
  'app: bad signature': (r) => ({
    method: 'POST',
    path: `${APP_PATH}?msg_signature=${randomBytes(20).toString('hex')}&timestamp=${now()}&nonce=${pick(r, 1e9)}`,
    body: appEnvelope(goodAppEncrypt(r)),
  }),
  'app: mutated ciphertext': (r) => {
    const encrypt = goodAppEncrypt(r);
    return {
      method: 'POST',
      path: `${APP_PATH}?${signedQuery(APP.token, encrypt)}`,
      body: appEnvelope(mutate(encrypt, r)),
    };
  },
  'app: signed, broken frame': (r) => {
    const encrypt = brokenFrame(r, APP.encodingAESKey, appMessage(r), APP.corpId);
    return {
      method: 'POST',
      path: `${APP_PATH}?${signedQuery(APP.token, encrypt)}`,
      body: appEnvelope(encrypt),
    };
  },
  'app: signed, bad plaintext': (r) => {
    const message = BAD_APP_PLAINTEXTS[pick(r, BAD_APP_PLAINTEXTS.length)]!;
    const encrypt = encryptFrame(APP.encodingAESKey, { message, receiveId: APP.corpId });
    return {
      method: 'POST',
      path: `${APP_PATH}?${signedQuery(APP.token, encrypt)}`,
      body: appEnvelope(encrypt),
    };
  },
  'app: another app signed it': (r) => {
    const encrypt = encryptFrame(APP.encodingAESKey, { message: appMessage(r), receiveId: APP.corpId });
    return {
      method: 'POST',
      path: `${APP_PATH}?${signedQuery('SomeoneElsesToken', encrypt)}`,
      body: appEnvelope(encrypt),
    };
  },
  'app: XML entities and DOCTYPE': (r) => {
    const bodies = [
      `<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>`,
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><xml><Encrypt>&lol2;</Encrypt></xml>`,
      `<!DOCTYPE xml SYSTEM "http://169.254.169.254/"><xml><Encrypt>abc</Encrypt></xml>`,
      `<xml><Encrypt><![CDATA[${goodAppEncrypt(r)}]]></Encrypt><!ENTITY x "y"></xml>`,
    ];
    return {
      method: 'POST',
      path: `${APP_PATH}?${signedQuery(APP.token, 'abc')}`,
      body: bodies[pick(r, bodies.length)]!,
    };
  },
  'app: __proto__ elements': (r) => {
    const encrypt = goodAppEncrypt(r);
    const bodies = [
      `<xml><__proto__><Encrypt>${encrypt}</Encrypt></__proto__></xml>`,
      `<xml><constructor><prototype><Encrypt>${encrypt}</Encrypt></prototype></constructor></xml>`,
      `<__proto__><Encrypt>${encrypt}</Encrypt></__proto__>`,
    ];
    return {
      method: 'POST',
      path: `${APP_PATH}?${signedQuery(APP.token, encrypt)}`,
      body: bodies[pick(r, bodies.length)]!,
    };
  },
  'app: garbage body': (r) => {
    const bodies: (string | Buffer)[] = [
      '',
      '<xml>',
      '<xml></xml>',
      '{"encrypt":"abc"}',
      randomBytes(1 + pick(r, 2000)),
      '<xml><Encrypt></Encrypt></xml>',
    ];
    return {
      method: 'POST',
      path: `${APP_PATH}?${signedQuery(APP.token, 'abc')}`,
      body: bodies[pick(r, bodies.length)]!,
    };
  },
};

/** Rare and large: a few hundred in total. */
const HEAVY_GENERATORS: Record<string, Generator> = {
  ...MORE_HEAVY_GENERATORS,
  'bot: deep JSON': (r) => ({
    method: 'POST',
    path: `${BOT_PATH}?${signedQuery(BOT.token, 'abc')}`,
    body: deepJson(r),
  }),
  'bot: huge JSON': (r) => ({
    method: 'POST',
    path: `${BOT_PATH}?${signedQuery(BOT.token, 'abc')}`,
    body: hugeJson(r),
  }),
  'app: deep XML': (r) => ({
    method: 'POST',
    path: `${APP_PATH}?${signedQuery(APP.token, 'abc')}`,
    body: deepXml(r),
  }),
};

export const CATEGORIES = [
  ...Object.keys(BOT_GENERATORS),
  ...Object.keys(APP_GENERATORS),
  ...Object.keys(HEAVY_GENERATORS),
];

/** The i-th request of the run: one heavy request in every 300, otherwise bot and app in turn. */
export function hostileRequest(i: number, r: Random): HostileRequest {
  let table: Record<string, Generator>;
  if (i % 300 === 299) table = HEAVY_GENERATORS;
  else table = i % 2 === 0 ? BOT_GENERATORS : APP_GENERATORS;
  const names = Object.keys(table);
  const category = names[pick(r, names.length)]!;
  const made = table[category]!(r);
  const type = category.startsWith('bot') ? JSON_TYPE : XML_TYPE;
  return { category, ...made, headers: { ...type, ...made.headers } };
}
