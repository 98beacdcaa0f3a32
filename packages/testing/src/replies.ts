/** Decoders for what a webhook answers: the encrypted passive-reply envelopes, checked like WeCom would. */

import { checkKeys, requireString } from '@maven/wecom-core';
import { parseXml, WeComCryptoError, type XmlObject, xmlText } from '@maven/wecom-crypto';
import { createCodec } from './codec.js';

export interface DecryptBotReplyOptions {
  token: string;
  encodingAESKey: string;
  /** The callback's nonce: AI-bot replies must echo it (docs/protocol.md §2.5). Checked when given. */
  expectNonce?: string;
  /** Expected receiveId in the frame. Default `''` (AI bots). */
  receiveId?: string;
}

/** The parsed JSON of a passive AI-bot reply (stream, template_card, text, update_template_card…). */
export interface BotReply {
  msgtype?: string;
  response_type?: string;
  stream?: {
    id?: string;
    finish?: boolean;
    content?: string;
    msg_item?: unknown[];
    feedback?: { id?: string };
  };
  text?: { content?: string };
  template_card?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface OpenedBotReply<T = BotReply> {
  message: T;
  plaintext: string;
  timestamp: string | number;
  nonce: string;
  signature: string;
}

function replyError(message: string): WeComCryptoError {
  return new WeComCryptoError('parse_failed', message);
}

/**
 * Verifies and decrypts an AI-bot passive reply `{"encrypt","msgsignature","timestamp","nonce"}`.
 * Returns null for an empty body (the documented "no reply"). Throws `WeComCryptoError`
 * (`signature_mismatch`, `parse_failed`, …) when WeCom would reject it.
 */
export function openBotReply<T = BotReply>(
  body: string,
  options: DecryptBotReplyOptions,
): OpenedBotReply<T> | null {
  checkKeys('decryptBotReply', options, ['token', 'encodingAESKey', 'expectNonce', 'receiveId']);
  requireString('decryptBotReply', 'token', options.token);
  if (typeof body !== 'string') throw replyError('reply body must be a string');
  if (body.length === 0) return null;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new WeComCryptoError('parse_failed', 'reply body is not JSON', { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw replyError('reply is not a JSON object');
  const envelope = value as Record<string, unknown>;
  const { encrypt, msgsignature, timestamp, nonce } = envelope;
  if (typeof encrypt !== 'string' || encrypt.length === 0) throw replyError('reply has no "encrypt"');
  if (typeof msgsignature !== 'string') {
    throw replyError(
      'msg_signature' in envelope
        ? 'reply uses "msg_signature"; WeCom expects "msgsignature"'
        : 'reply has no "msgsignature"',
    );
  }
  if (typeof timestamp !== 'string' && typeof timestamp !== 'number')
    throw replyError('reply has no "timestamp"');
  if (typeof nonce !== 'string' || nonce.length === 0) throw replyError('reply has no "nonce"');
  if (options.expectNonce !== undefined && nonce !== options.expectNonce) {
    throw new WeComCryptoError('signature_mismatch', 'reply nonce is not the callback nonce');
  }
  const codec = createCodec({
    token: options.token,
    encodingAESKey: options.encodingAESKey,
    receiveId: options.receiveId ?? '',
  });
  codec.verifySignature({ signature: msgsignature, timestamp: String(timestamp), nonce, encrypt });
  const plaintext = codec.decrypt(encrypt).message;
  let message: T;
  try {
    message = JSON.parse(plaintext) as T;
  } catch (cause) {
    throw new WeComCryptoError('parse_failed', 'decrypted reply is not JSON', { cause });
  }
  return { message, plaintext, timestamp, nonce, signature: msgsignature };
}

/** `openBotReply(…)?.message`: the decrypted JSON reply, or null for an empty body. */
export function decryptBotReply<T = BotReply>(body: string, options: DecryptBotReplyOptions): T | null {
  return openBotReply<T>(body, options)?.message ?? null;
}

export interface DecryptAppReplyOptions {
  token: string;
  encodingAESKey: string;
  /** Expected receiveId (CorpID) in the frame; checked when given. */
  corpId?: string;
  /** Checked when given (apps choose their own reply nonce, so usually not). */
  expectNonce?: string;
}

export interface AppReply {
  /** The decrypted XML. */
  xml: string;
  /** `parseXml(xml)`: children of the root element, all values strings. */
  message: XmlObject;
  timestamp: string;
  nonce: string;
  signature: string;
}

/**
 * Verifies and decrypts a self-built-app passive reply
 * `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`. Returns null for an empty body or a
 * bare `success` acknowledgement.
 */
export function decryptAppReply(body: string, options: DecryptAppReplyOptions): AppReply | null {
  checkKeys('decryptAppReply', options, ['token', 'encodingAESKey', 'corpId', 'expectNonce']);
  requireString('decryptAppReply', 'token', options.token);
  if (typeof body !== 'string') throw replyError('reply body must be a string');
  if (body.length === 0 || body === 'success') return null;
  const root = parseXml(body);
  const encrypt = xmlText(root, 'Encrypt');
  const signature = xmlText(root, 'MsgSignature');
  const timestamp = xmlText(root, 'TimeStamp');
  const nonce = xmlText(root, 'Nonce');
  if (!encrypt) throw replyError('reply has no <Encrypt>');
  if (!signature) throw replyError('reply has no <MsgSignature>');
  if (!timestamp) throw replyError('reply has no <TimeStamp>');
  if (!nonce) throw replyError('reply has no <Nonce>');
  if (options.expectNonce !== undefined && nonce !== options.expectNonce) {
    throw new WeComCryptoError('signature_mismatch', 'reply nonce is not the expected nonce');
  }
  const codec = createCodec({
    token: options.token,
    encodingAESKey: options.encodingAESKey,
    receiveId: options.corpId,
  });
  codec.verifySignature({ signature, timestamp, nonce, encrypt });
  const decrypted = codec.decrypt(encrypt);
  return { xml: decrypted.message, message: parseXml(decrypted.message), timestamp, nonce, signature };
}
