/**
 * The second doctor check: one signed, encrypted callback POST (a text message) like WeCom sends
 * after the URL is saved, and the answer judged as WeCom judges it: HTTP 200 with an empty body,
 * or a passive reply whose signature verifies and whose frame decrypts with the right receiveId.
 * The diagnosis is a pure function of what came back.
 */
import { parseXml, type XmlObject, xmlText } from '@maven/wecom-crypto';
import { appText } from './app-messages.js';
import { botText } from './bot-messages.js';
import { buildAppCallback, buildBotCallback } from './builders.js';
import { createCodec } from './codec.js';
import type { Diagnosis } from './doctor.js';
import { explainRefusal } from './doctor-refusals.js';
import { HttpFailure, sendRequest, withSearch } from './http-client.js';
import { DEFAULT_REDELIVER_AFTER_MS } from './sim/delivery.js';

/** The text the doctor's callback carries, so a server log shows where it came from. */
export const DOCTOR_TEXT = 'wecom-sim doctor: test message';

export interface CallbackProbeOptions {
  url: string;
  token: string;
  encodingAESKey: string;
  mode: 'bot' | 'app';
  /** App mode: the CorpID (ToUserName and receiveId). */
  corpId?: string;
  /** App mode: the AgentID. */
  agentId?: number | string;
  /** Bot mode: the receiveId in the frame. Default `''` (what WeCom sends AI bots). */
  receiveId?: string;
  /** Sender userid. Default `zhangsan`. */
  from?: string;
  /** Default 5000 (WeCom's wait before it re-delivers). */
  timeoutMs?: number;
}

/** What one callback POST produced. */
export interface CallbackProbe {
  mode: 'bot' | 'app';
  token: string;
  encodingAESKey: string;
  /** The receiveId replies must carry: `''` for bots, the CorpID for apps. */
  receiveId: string;
  /** The callback's nonce (AI-bot replies echo it). */
  nonce: string;
  timeoutMs: number;
  error?: { kind: 'timeout' | 'unreachable' | 'invalid_url'; message: string };
  status?: number;
  contentType?: string;
  body?: string;
  /** Whether the verification GET passed (narrows some refusals). */
  verified?: boolean;
}

/** Sends one text-message callback and collects the answer (never throws for transport errors). */
export async function probeCallback(options: CallbackProbeOptions): Promise<CallbackProbe> {
  const keys = { token: options.token, encodingAESKey: options.encodingAESKey };
  const from = options.from ?? 'zhangsan';
  let request: { search: string; body: string; nonce: string };
  let receiveId: string;
  if (options.mode === 'app') {
    receiveId = options.corpId ?? '';
    const agentId = options.agentId ?? 0;
    request = buildAppCallback({
      ...keys,
      corpId: receiveId,
      agentId,
      message: appText({ content: DOCTOR_TEXT, from, corpId: receiveId, agentId }),
    });
  } else {
    receiveId = options.receiveId ?? '';
    request = buildBotCallback({ ...keys, receiveId, message: botText({ content: DOCTOR_TEXT, from }) });
  }
  const probe: CallbackProbe = {
    mode: options.mode,
    ...keys,
    receiveId,
    nonce: request.nonce,
    timeoutMs: options.timeoutMs ?? DEFAULT_REDELIVER_AFTER_MS,
  };
  let target: string;
  try {
    target = withSearch(options.url, request.search);
  } catch {
    return { ...probe, error: { kind: 'invalid_url', message: 'not a valid URL' } };
  }
  try {
    const res = await sendRequest(target, {
      method: 'POST',
      headers: { 'content-type': options.mode === 'app' ? 'text/xml' : 'application/json' },
      body: request.body,
      timeoutMs: probe.timeoutMs,
    });
    probe.status = res.status;
    probe.body = res.text;
    const contentType = res.headers['content-type'];
    if (contentType !== undefined) probe.contentType = contentType;
  } catch (error) {
    if (!(error instanceof HttpFailure)) throw error;
    probe.error = { kind: error.kind, message: error.message };
  }
  return probe;
}

/** Explains a callback answer: `ok`, or which setting (Token, key, receiveId, path, parser, proxy) is wrong. */
export function diagnoseCallback(probe: CallbackProbe): Diagnosis {
  if (probe.error !== undefined) {
    const { kind, message } = probe.error;
    if (kind === 'timeout') {
      return {
        ok: false,
        code: 'timeout',
        suspect: 'server',
        message: `no answer to the callback within ${probe.timeoutMs} ms (WeCom waits 5 s, then re-delivers)`,
        hint: 'answer first and work after (the SDK does: slow listeners continue past deadlineMs); check a proxy does not hold the request',
      };
    }
    return {
      ok: false,
      code: kind,
      suspect: 'network',
      message:
        kind === 'invalid_url'
          ? `the URL is not usable: ${message}`
          : `the URL cannot be reached: ${message}`,
    };
  }
  const status = probe.status ?? 0;
  const body = probe.body ?? '';
  const refused = explainRefusal(status, body, probe.contentType, {
    method: 'POST',
    mode: probe.mode,
    ...(probe.verified === undefined ? {} : { verified: probe.verified }),
  });
  if (refused !== undefined) return refused;
  if (body.length === 0 || (probe.mode === 'app' && body === 'success')) {
    return { ok: true, code: 'ok', message: 'OK: the callback was accepted (HTTP 200, no passive reply)' };
  }
  const problem = replyProblem(probe, body);
  if (problem !== undefined) {
    return {
      ok: false,
      code: 'bad_reply',
      suspect: 'reply',
      message: `HTTP 200, but WeCom would drop the passive reply: ${problem}`,
      hint: 'the reply must be encrypted and signed with the same Token and EncodingAESKey, with the receiveId of the callback (the SDK does this; a hand-written reply often does not)',
    };
  }
  return {
    ok: true,
    code: 'ok',
    message: 'OK: the callback was accepted with a valid encrypted passive reply',
  };
}

/** Why a 200 reply would be dropped, or undefined when it verifies and decrypts. */
function replyProblem(probe: CallbackProbe, body: string): string | undefined {
  let envelope: { encrypt?: string; signature?: string; timestamp?: string; nonce?: string };
  if (probe.mode === 'bot') {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return 'it is neither empty nor JSON';
    }
    if (value === null || typeof value !== 'object') return 'it is not a JSON object';
    const v = value as Record<string, unknown>;
    const str = (x: unknown): string | undefined =>
      typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined;
    envelope = {
      ...(str(v.encrypt) === undefined ? {} : { encrypt: str(v.encrypt)! }),
      ...(str(v.msgsignature) === undefined ? {} : { signature: str(v.msgsignature)! }),
      ...(str(v.timestamp) === undefined ? {} : { timestamp: str(v.timestamp)! }),
      ...(str(v.nonce) === undefined ? {} : { nonce: str(v.nonce)! }),
    };
  } else {
    let root: XmlObject;
    try {
      root = parseXml(body);
    } catch {
      return 'it is neither empty, "success" nor XML';
    }
    const get = (name: string): string | undefined => xmlText(root, name) || undefined;
    envelope = {
      ...(get('Encrypt') === undefined ? {} : { encrypt: get('Encrypt')! }),
      ...(get('MsgSignature') === undefined ? {} : { signature: get('MsgSignature')! }),
      ...(get('TimeStamp') === undefined ? {} : { timestamp: get('TimeStamp')! }),
      ...(get('Nonce') === undefined ? {} : { nonce: get('Nonce')! }),
    };
  }
  const { encrypt, signature, timestamp, nonce } = envelope;
  if (encrypt === undefined) return 'it is not encrypted (no encrypt field)';
  if (signature === undefined || timestamp === undefined || nonce === undefined)
    return 'its signature fields (msgsignature/MsgSignature, timestamp, nonce) are incomplete';
  if (probe.mode === 'bot' && nonce !== probe.nonce) return 'its nonce is not the callback’s nonce';
  const codec = createCodec({
    token: probe.token,
    encodingAESKey: probe.encodingAESKey,
    receiveId: probe.receiveId,
  });
  try {
    codec.verifySignature({ signature, timestamp, nonce, encrypt });
  } catch {
    return 'its signature does not verify with this Token';
  }
  try {
    codec.decrypt(encrypt);
  } catch (error) {
    return (error as { code?: string }).code === 'receive_id_mismatch'
      ? `it carries another receiveId than ${probe.receiveId === '' ? "'' (AI bots)" : probe.receiveId}`
      : 'it does not decrypt with this EncodingAESKey';
  }
  return undefined;
}
