/**
 * The reference gateway's JSON config, `channels.wecom`, read and checked eagerly. Every problem is
 * collected and reported at once; messages name the field and what is wrong with it, never the
 * value of `token` or `encodingAESKey` (only their lengths).
 */
import { readFile } from 'node:fs/promises';
import { showKey } from '../../shared/config-keys.js';

export const DEFAULT_PORT = 9886;
export const PROXY_PROTOCOLS = ['http:', 'https:', 'socks5:', 'socks5h:'] as const;

/** A scheduled message (the agent's cron job); `deliver: true` sends it to the chat proactively. */
export interface ScheduledJob {
  job: string;
  chatId: string;
  chatType: 'single' | 'group' | undefined;
  text: string;
  /** First run this long after start. */
  afterMs: number;
  /** Then again every this long (undefined: once). */
  everyMs: number | undefined;
  deliver: boolean;
}

export interface MavenWeComConfig {
  enabled: boolean;
  /** "webhook" (default, as the reference) or "websocket" (the long connection: botId + secret). */
  connection: 'webhook' | 'websocket';
  /** Long connection: the BotID and Secret of the bot's API-mode page; wsUrl overrides WeCom's URL. */
  botId: string | undefined;
  secret: string | undefined;
  wsUrl: string | undefined;
  schedule: ScheduledJob[];
  /** Webhook mode only ("" in websocket mode). */
  token: string;
  /** Exactly 43 characters. */
  encodingAESKey: string;
  /** Undefined (absent or `""`): not enforced, as in the reference. A non-empty value is enforced. */
  receiveId: string | undefined;
  /** Undefined when absent or `""`: callbacks of any bot are taken, as in the reference. */
  aibotId: string | undefined;
  port: number;
  /** Trimmed, empties dropped; empty = everyone. */
  allowFrom: string[];
  /** Undefined when absent or `""`. */
  proxy: URL | undefined;
}

/** A configuration problem: the process exits with code 2 and prints `message` (secret-free). */
export class ConfigError extends Error {
  readonly exitCode = 2;
  readonly problems: readonly string[];

  constructor(problems: readonly string[], where = 'config') {
    super(`invalid ${where}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const KEYS = [
  'enabled',
  'connection',
  'botId',
  'secret',
  'wsUrl',
  'schedule',
  'token',
  'encodingAESKey',
  'receiveId',
  'aibotId',
  'port',
  'allowFrom',
  'proxy',
] as const;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `user:password@` of a URL replaced, so a proxy URL can be shown in messages and logs. */
export function maskUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = copy.username ? '***' : '';
  copy.password = copy.password ? '***' : '';
  return copy.href;
}

/** Validates a proxy URL: http, https, socks5 or socks5h, a host, nothing after the port. */
export function parseProxy(
  value: string,
  problems: string[],
  field = 'channels.wecom.proxy',
): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(
      `${field} is not a URL (expected e.g. http://proxy.internal:3128 or socks5://127.0.0.1:1080)`,
    );
    return undefined;
  }
  const shown = maskUrl(url);
  if (!(PROXY_PROTOCOLS as readonly string[]).includes(url.protocol)) {
    problems.push(
      `${field} must use ${PROXY_PROTOCOLS.map((p) => p.slice(0, -1)).join(', ')} (got "${url.protocol.slice(0, -1)}")`,
    );
    return undefined;
  }
  if (!url.hostname) problems.push(`${field} has no host (${shown})`);
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
    problems.push(
      `${field} must be scheme://[user:password@]host[:port] with nothing after the port (${shown})`,
    );
  }
  return url;
}

/** Checks the parsed JSON of the whole gateway config; returns `channels.wecom`, resolved. */
export function parseMavenConfig(root: unknown): MavenWeComConfig {
  const problems: string[] = [];
  if (!isObject(root)) throw new ConfigError(['the config must be a JSON object']);
  const channels = root.channels;
  if (!isObject(channels)) throw new ConfigError(['"channels" is missing or not an object']);
  const wecom = channels.wecom;
  if (!isObject(wecom)) throw new ConfigError(['"channels.wecom" is missing or not an object']);

  for (const key of Object.keys(wecom)) {
    if ((KEYS as readonly string[]).includes(key)) continue;
    const near = KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
    problems.push(
      `channels.wecom.${showKey(key)} is not a known field${near ? ` (did you mean "${near}"?)` : ''}; known: ${KEYS.join(', ')}`,
    );
  }

  if (typeof wecom.enabled !== 'boolean') problems.push('channels.wecom.enabled is required: true or false');

  const connection = wecom.connection ?? 'webhook';
  if (connection !== 'webhook' && connection !== 'websocket')
    problems.push('channels.wecom.connection must be "webhook" or "websocket"');
  const ws = connection === 'websocket';
  const longConnection = parseLongConnection(wecom, ws, problems);
  const schedule = parseSchedule(wecom.schedule, problems);

  const token = wecom.token;
  if (ws && token === undefined && wecom.encodingAESKey === undefined) {
    // The long connection has no webhook: no Token, no EncodingAESKey.
  } else if (typeof token !== 'string' || token.length === 0) {
    problems.push('channels.wecom.token is required: the Token from the bot’s API-mode settings');
  } else if (token.trim() !== token) {
    problems.push('channels.wecom.token has leading or trailing whitespace (a copy-paste slip?)');
  }

  const key = wecom.encodingAESKey;
  if (ws && token === undefined && key === undefined) {
    // As above.
  } else if (typeof key !== 'string' || key.length === 0) {
    problems.push('channels.wecom.encodingAESKey is required: the 43-character EncodingAESKey');
  } else if (key.length !== 43) {
    problems.push(`channels.wecom.encodingAESKey must be exactly 43 characters (got ${key.length})`);
  } else if (!BASE64_KEY.test(key)) {
    problems.push('channels.wecom.encodingAESKey may only contain A-Z, a-z, 0-9, "+" and "/"');
  }

  let receiveId: string | undefined;
  if (wecom.receiveId !== undefined && wecom.receiveId !== null) {
    if (typeof wecom.receiveId !== 'string') problems.push('channels.wecom.receiveId must be a string');
    else if (wecom.receiveId.trim() !== '') receiveId = wecom.receiveId.trim();
  }

  let aibotId: string | undefined;
  if (wecom.aibotId !== undefined && wecom.aibotId !== null) {
    if (typeof wecom.aibotId !== 'string') problems.push('channels.wecom.aibotId must be a string');
    else if (wecom.aibotId.trim() !== '') aibotId = wecom.aibotId.trim();
  }

  let port = DEFAULT_PORT;
  if (wecom.port !== undefined && wecom.port !== null) {
    if (
      typeof wecom.port !== 'number' ||
      !Number.isInteger(wecom.port) ||
      wecom.port < 0 ||
      wecom.port > 65535
    ) {
      problems.push(
        `channels.wecom.port must be an integer from 0 to 65535 (got ${JSON.stringify(wecom.port)})`,
      );
    } else port = wecom.port;
  }

  let allowFrom: string[] = [];
  if (wecom.allowFrom !== undefined && wecom.allowFrom !== null) {
    if (!Array.isArray(wecom.allowFrom) || wecom.allowFrom.some((v) => typeof v !== 'string')) {
      problems.push('channels.wecom.allowFrom must be an array of user ids (strings)');
    } else {
      allowFrom = (wecom.allowFrom as string[]).map((id) => id.trim()).filter((id) => id.length > 0);
    }
  }

  let proxy: URL | undefined;
  if (wecom.proxy !== undefined && wecom.proxy !== null && wecom.proxy !== '') {
    if (typeof wecom.proxy !== 'string') problems.push('channels.wecom.proxy must be a URL string or ""');
    else proxy = parseProxy(wecom.proxy.trim(), problems);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    enabled: wecom.enabled as boolean,
    connection: connection as 'webhook' | 'websocket',
    ...longConnection,
    schedule,
    token: (token as string | undefined) ?? '',
    encodingAESKey: (key as string | undefined) ?? '',
    receiveId,
    aibotId,
    port,
    allowFrom,
    proxy,
  };
}

function parseLongConnection(wecom: Record<string, unknown>, ws: boolean, problems: string[]) {
  const out = {
    botId: undefined as string | undefined,
    secret: undefined as string | undefined,
    wsUrl: undefined as string | undefined,
  };
  for (const field of ['botId', 'secret', 'wsUrl'] as const) {
    const value = wecom[field];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string' || value.trim() !== value)
      problems.push(`channels.wecom.${field} must be a string without surrounding whitespace`);
    else out[field] = value;
  }
  if (ws && !out.botId) problems.push('channels.wecom.botId is required with "connection": "websocket"');
  if (ws && !out.secret) problems.push('channels.wecom.secret is required with "connection": "websocket"');
  if (out.wsUrl !== undefined && !/^wss?:\/\/[^/\s]+/.test(out.wsUrl))
    problems.push('channels.wecom.wsUrl must be a ws:// or wss:// URL');
  return out;
}

function parseSchedule(value: unknown, problems: string[]): ScheduledJob[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push('channels.wecom.schedule must be an array of jobs');
    return [];
  }
  const jobs: ScheduledJob[] = [];
  value.forEach((raw: unknown, i) => {
    const at = `channels.wecom.schedule[${i}]`;
    const j = isObject(raw) ? raw : {};
    const ms = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
    if (typeof j.chatId !== 'string' || j.chatId === '') problems.push(`${at}.chatId is required`);
    else if (typeof j.text !== 'string' || j.text === '') problems.push(`${at}.text is required`);
    else if (j.afterMs !== undefined && !ms(j.afterMs)) problems.push(`${at}.afterMs must be a number ≥ 0`);
    else if (j.everyMs !== undefined && !(ms(j.everyMs) && (j.everyMs as number) >= 1000))
      problems.push(`${at}.everyMs must be a number ≥ 1000`);
    else if (j.chatType !== undefined && j.chatType !== 'single' && j.chatType !== 'group')
      problems.push(`${at}.chatType must be "single" or "group"`);
    else
      jobs.push({
        job: typeof j.job === 'string' && j.job ? j.job : `job-${i + 1}`,
        chatId: j.chatId,
        chatType: j.chatType as ScheduledJob['chatType'],
        text: j.text,
        afterMs: (j.afterMs as number | undefined) ?? 0,
        everyMs: j.everyMs as number | undefined,
        deliver: j.deliver === true,
      });
  });
  return jobs;
}

/**
 * Parses JSON without ever echoing the text: V8's messages quote the source around the error,
 * which could be the token. Only a line and column are reported.
 */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    let where = '';
    if (position !== undefined) {
      const before = text.slice(0, Number(position));
      const line = before.split('\n').length;
      const column = Number(position) - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column}`;
    }
    throw new ConfigError([`${file} is not valid JSON${where}`]);
  }
}

export async function loadMavenConfig(file: string): Promise<MavenWeComConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    throw new ConfigError([`cannot read ${file} (${code})`]);
  }
  return parseMavenConfig(parseJsonText(text, file));
}
