/** Callback envelopes: `{"encrypt"}` JSON for AI bots, `<xml><Encrypt>` for self-built apps. */
import { WeComCryptoError } from './errors.js';
import { cdata, type ParseXmlOptions, parseXml, xmlText } from './xml.js';

export type EnvelopeFormat = 'json' | 'xml';

export interface InboundEnvelope {
  encrypt: string;
  /** XML only: the `<ToUserName>` (CorpID) in clear text, if present. */
  toUserName?: string;
  /** XML only: the `<AgentID>` in clear text, if present. */
  agentId?: string;
}

export const DEFAULT_JSON_MAX_LENGTH = 1024 * 1024;

export function parseJsonEnvelope(body: string, maxLength = DEFAULT_JSON_MAX_LENGTH): InboundEnvelope {
  if (typeof body !== 'string' || body.length === 0) throw new WeComCryptoError('parse_failed', 'empty body');
  if (body.length > maxLength) throw new WeComCryptoError('parse_failed', 'JSON body too large');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new WeComCryptoError('parse_failed', 'body is not valid JSON', { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WeComCryptoError('parse_failed', 'JSON body is not an object');
  }
  const record = value as Record<string, unknown>;
  // Own keys only: a `__proto__` key in the body is a plain own property and never an inherited `encrypt`.
  const encrypt = Object.hasOwn(record, 'encrypt')
    ? record.encrypt
    : Object.hasOwn(record, 'Encrypt')
      ? record.Encrypt
      : undefined;
  if (typeof encrypt !== 'string' || encrypt.length === 0) {
    throw new WeComCryptoError('parse_failed', 'JSON body has no "encrypt" string');
  }
  return { encrypt };
}

export function parseXmlEnvelope(body: string, options: ParseXmlOptions = {}): InboundEnvelope {
  const root = parseXml(body, options);
  const encrypt = xmlText(root, 'Encrypt');
  if (!encrypt) throw new WeComCryptoError('parse_failed', 'XML body has no <Encrypt> element');
  const out: InboundEnvelope = { encrypt };
  const toUserName = xmlText(root, 'ToUserName');
  const agentId = xmlText(root, 'AgentID');
  if (toUserName !== undefined) out.toUserName = toUserName;
  if (agentId !== undefined) out.agentId = agentId;
  return out;
}

export interface OutboundEnvelope {
  encrypt: string;
  signature: string;
  timestamp: string;
  nonce: string;
}

/**
 * `{"encrypt","msgsignature","timestamp","nonce"}`. The documented example sends the timestamp
 * as a number, so a decimal timestamp is emitted as one — only when the number prints back as the
 * same string that was signed (no leading zeros, at most 15 digits).
 */
export function buildJsonEnvelope(e: OutboundEnvelope): string {
  const timestamp = /^(?:0|[1-9]\d{0,14})$/.test(e.timestamp) ? Number(e.timestamp) : e.timestamp;
  return JSON.stringify({ encrypt: e.encrypt, msgsignature: e.signature, timestamp, nonce: e.nonce });
}

export function buildXmlEnvelope(e: OutboundEnvelope): string {
  return (
    `<xml><Encrypt>${cdata(e.encrypt)}</Encrypt><MsgSignature>${cdata(e.signature)}</MsgSignature>` +
    `<TimeStamp>${/^\d+$/.test(e.timestamp) ? e.timestamp : cdata(e.timestamp)}</TimeStamp><Nonce>${cdata(e.nonce)}</Nonce></xml>`
  );
}
