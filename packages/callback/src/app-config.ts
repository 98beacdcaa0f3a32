/**
 * App configuration: validated and turned into a crypto object at construction, so a misconfigured
 * app fails the constructor (naming the app, never its secrets) instead of failing requests later.
 */

import {
  checkKeys,
  checkObject,
  isWeComError,
  registerSecret,
  requireString,
  WeComConfigError,
} from '@maven/wecom-core';
import { WeComCrypto } from '@maven/wecom-crypto';

/** One self-built app (自建应用) as configured in the WeCom admin console. */
export interface AppConfig {
  /** Unique name, used in logs, dedup keys and the per-app path `/wecom/callback/<name>`. */
  name: string;
  /** CorpID (`ww…`): the callback receiveId, always enforced. */
  corpId: string;
  /** The app's Secret, needed for access tokens (active replies, message/send, media). */
  corpSecret?: string;
  /** AgentId of the app (an integer). */
  agentId: number | string;
  /** Callback Token. */
  token: string;
  /** Callback EncodingAESKey (43 characters). */
  encodingAESKey: string;
}

/** The public, secret-free description of an app. */
export interface AppInfo {
  readonly name: string;
  readonly corpId: string;
  readonly agentId: number;
  /** True when a corpSecret is configured (the app can send). */
  readonly canSend: boolean;
}

export interface ResolvedApp {
  readonly info: AppInfo;
  readonly crypto: WeComCrypto;
  readonly corpSecret: string | undefined;
  /** Apps with the same token sign identically; routing hashes once per token (never logged). */
  readonly token: string;
}

export interface CryptoSettings {
  timestampWindow?: number | false;
  now?: () => number;
  maxBodyBytes: number;
}

const APP_KEYS = ['name', 'corpId', 'corpSecret', 'agentId', 'token', 'encodingAESKey'] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CORP_ID = /^[A-Za-z0-9_.-]+$/;

export function parseAgentId(where: string, value: unknown): number {
  const n = typeof value === 'string' && /^\d{1,10}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new WeComConfigError(`${where}: agentId must be a non-negative integer`);
  }
  return n;
}

function resolveApp(where: string, value: unknown, settings: CryptoSettings): ResolvedApp {
  const raw = checkObject(where, value);
  if (typeof raw.name !== 'string' || !NAME.test(raw.name)) {
    throw new WeComConfigError(
      `${where}: name must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  const name = raw.name;
  const at = `app "${name}"`;
  checkKeys(at, raw, APP_KEYS);
  // Register first: whatever fails below, these values are redacted from every later message.
  for (const secret of [raw.token, raw.encodingAESKey, raw.corpSecret]) {
    if (typeof secret === 'string') registerSecret(secret);
  }
  const corpId = requireString(at, 'corpId', raw.corpId);
  if (!CORP_ID.test(corpId)) throw new WeComConfigError(`${at}: corpId has characters a CorpID never has`);
  const agentId = parseAgentId(at, raw.agentId);
  requireString(at, 'token', raw.token);
  let corpSecret: string | undefined;
  if (raw.corpSecret !== undefined) corpSecret = requireString(at, 'corpSecret', raw.corpSecret);
  let crypto: WeComCrypto;
  try {
    crypto = new WeComCrypto({
      token: raw.token as string,
      encodingAESKey: raw.encodingAESKey as string,
      receiveId: corpId,
      maxBodyLength: settings.maxBodyBytes,
      ...(settings.timestampWindow === undefined ? {} : { timestampWindow: settings.timestampWindow }),
      ...(settings.now === undefined ? {} : { now: settings.now }),
    });
  } catch (error) {
    const detail = isWeComError(error) ? error.message : 'invalid crypto settings';
    throw new WeComConfigError(`${at}: ${detail}`, { cause: error });
  }
  return {
    info: Object.freeze({ name, corpId, agentId, canSend: corpSecret !== undefined }),
    crypto,
    corpSecret,
    token: raw.token as string,
  };
}

/** Validates every app, builds its crypto object, refuses duplicate names and duplicate corp+agent pairs. */
export function resolveApps(values: unknown, settings: CryptoSettings): ResolvedApp[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw new WeComConfigError('apps must be a non-empty array');
  }
  const apps = values.map((value, i) => resolveApp(`apps[${i}]`, value, settings));
  const names = new Set<string>();
  const pairs = new Map<string, string>();
  for (const { info } of apps) {
    if (names.has(info.name)) throw new WeComConfigError(`app "${info.name}": duplicate app name`);
    names.add(info.name);
    const pair = `${info.corpId}:${info.agentId}`;
    const other = pairs.get(pair);
    if (other !== undefined) {
      throw new WeComConfigError(`app "${info.name}": same corpId and agentId as app "${other}"`);
    }
    pairs.set(pair, info.name);
  }
  return apps;
}
