/**
 * Request builders: what WeCom would send to a webhook, encrypted and signed with the crypto
 * package. Everything is synchronous (node:crypto), so tests can build requests inline.
 */

import { checkKeys, requireString } from '@maven/wecom-core';
import { cdata, WeComConfigError } from '@maven/wecom-crypto';
import { type AppXmlObject, toAppMessageXml } from './app-xml.js';
import { createCodec } from './codec.js';
import { frameRandom, randomNonce } from './random.js';
import { timestampOf } from './validate.js';

interface SignedParams {
  /** Seconds since the epoch. Default now. */
  timestamp?: string | number;
  /** Default: a random 10-digit nonce. */
  nonce?: string;
  /** The 16 random frame bytes (ASCII string or bytes), to reproduce a known ciphertext. */
  random?: string | Uint8Array;
}

export interface BotVerificationOptions extends SignedParams {
  token: string;
  encodingAESKey: string;
  /** The plaintext to hide in `echostr`. Default: a random 19-digit number like WeCom's. */
  echo?: string;
  /** Default `''` (AI bots). */
  receiveId?: string;
}

export interface AppVerificationOptions extends SignedParams {
  token: string;
  encodingAESKey: string;
  corpId: string;
  echo?: string;
}

export interface VerificationRequest {
  /** `msg_signature`, `timestamp`, `nonce`, `echostr`. */
  query: URLSearchParams;
  /** `?msg_signature=…&timestamp=…&nonce=…&echostr=…`, URL-encoded. */
  search: string;
  /** The plaintext a correct webhook answers with. */
  echo: string;
  echostr: string;
  signature: string;
  timestamp: string;
  nonce: string;
}

export interface BotCallbackOptions extends SignedParams {
  token: string;
  encodingAESKey: string;
  /** Default `''`. */
  receiveId?: string;
  /** The decrypted message: an object (JSON-encoded) or the exact plaintext. */
  message: object | string;
}

export interface AppCallbackOptions extends SignedParams {
  token: string;
  encodingAESKey: string;
  corpId: string;
  agentId: number | string;
  /** The decrypted message: an object (rendered with `toAppMessageXml`) or the exact XML. */
  message: AppXmlObject | string;
}

export interface CallbackRequest<M> {
  /** `msg_signature`, `timestamp`, `nonce`. */
  query: URLSearchParams;
  search: string;
  /** The POST body. */
  body: string;
  /** The message as given. */
  message: M;
  /** The exact plaintext that was encrypted. */
  plaintext: string;
  encrypt: string;
  signature: string;
  timestamp: string;
  nonce: string;
}

const SIGNED = ['token', 'encodingAESKey', 'timestamp', 'nonce', 'random'] as const;

function randomEcho(): string {
  return String(BigInt(randomNonce()) * 1_000_000_000n + BigInt(randomNonce().slice(1)));
}

function stamp(where: string, options: SignedParams): { timestamp: string; nonce: string } {
  const timestamp = timestampOf(where, options.timestamp);
  const nonce = options.nonce ?? randomNonce();
  if (typeof nonce !== 'string' || nonce.length === 0)
    throw new WeComConfigError(`${where}: nonce must be non-empty`);
  return { timestamp, nonce };
}

function verification(
  where: string,
  options: SignedParams & { token: string; encodingAESKey: string; echo?: string },
  receiveId: string,
): VerificationRequest {
  requireString(where, 'token', options.token);
  const codec = createCodec({
    token: options.token,
    encodingAESKey: options.encodingAESKey,
    receiveId,
    random: frameRandom(where, options.random),
  });
  const echo = options.echo ?? randomEcho();
  if (typeof echo !== 'string') throw new WeComConfigError(`${where}: echo must be a string`);
  const { timestamp, nonce } = stamp(where, options);
  const echostr = codec.encrypt(echo);
  const signature = codec.signature(timestamp, nonce, echostr);
  const query = new URLSearchParams({ msg_signature: signature, timestamp, nonce, echostr });
  return { query, search: `?${query.toString()}`, echo, echostr, signature, timestamp, nonce };
}

/** A URL-verification GET for an AI bot (receiveId `''`). */
export function buildBotVerification(options: BotVerificationOptions): VerificationRequest {
  checkKeys('buildBotVerification', options, [...SIGNED, 'echo', 'receiveId']);
  return verification('buildBotVerification', options, options.receiveId ?? '');
}

/** A URL-verification GET for a self-built app (receiveId = CorpID). */
export function buildAppVerification(options: AppVerificationOptions): VerificationRequest {
  checkKeys('buildAppVerification', options, [...SIGNED, 'echo', 'corpId']);
  return verification(
    'buildAppVerification',
    options,
    requireString('buildAppVerification', 'corpId', options.corpId),
  );
}

function callback<M>(
  where: string,
  options: SignedParams & { token: string; encodingAESKey: string },
  receiveId: string,
  message: M,
  plaintext: string,
  envelope: (encrypt: string) => string,
): CallbackRequest<M> {
  requireString(where, 'token', options.token);
  const codec = createCodec({
    token: options.token,
    encodingAESKey: options.encodingAESKey,
    receiveId,
    random: frameRandom(where, options.random),
  });
  const { timestamp, nonce } = stamp(where, options);
  const encrypt = codec.encrypt(plaintext);
  const signature = codec.signature(timestamp, nonce, encrypt);
  const query = new URLSearchParams({ msg_signature: signature, timestamp, nonce });
  return {
    query,
    search: `?${query.toString()}`,
    body: envelope(encrypt),
    message,
    plaintext,
    encrypt,
    signature,
    timestamp,
    nonce,
  };
}

/** An encrypted AI-bot callback POST: body `{"encrypt":"…"}`. */
export function buildBotCallback<M extends object | string>(
  options: BotCallbackOptions & { message: M },
): CallbackRequest<M> {
  checkKeys('buildBotCallback', options, [...SIGNED, 'receiveId', 'message']);
  const { message } = options;
  if (message === null || (typeof message !== 'object' && typeof message !== 'string')) {
    throw new WeComConfigError('buildBotCallback: message must be an object or a string');
  }
  const plaintext = typeof message === 'string' ? message : JSON.stringify(message);
  return callback('buildBotCallback', options, options.receiveId ?? '', message, plaintext, (encrypt) =>
    JSON.stringify({ encrypt }),
  );
}

/**
 * An encrypted self-built-app callback POST: body
 * `<xml><ToUserName><![CDATA[corpId]]></ToUserName><Encrypt><![CDATA[…]]></Encrypt><AgentID><![CDATA[agentId]]></AgentID></xml>`.
 */
export function buildAppCallback<M extends AppXmlObject | string>(
  options: AppCallbackOptions & { message: M },
): CallbackRequest<M> {
  checkKeys('buildAppCallback', options, [...SIGNED, 'corpId', 'agentId', 'message']);
  const corpId = requireString('buildAppCallback', 'corpId', options.corpId);
  const agentId = String(options.agentId);
  if (!/^\d+$/.test(agentId)) throw new WeComConfigError('buildAppCallback: agentId must be an integer');
  const { message } = options;
  const plaintext = typeof message === 'string' ? message : toAppMessageXml(message);
  return callback(
    'buildAppCallback',
    options,
    corpId,
    message,
    plaintext,
    (encrypt) =>
      `<xml><ToUserName>${cdata(corpId)}</ToUserName><Encrypt>${cdata(encrypt)}</Encrypt><AgentID>${cdata(agentId)}</AgentID></xml>`,
  );
}
