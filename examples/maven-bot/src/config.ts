/**
 * The reference gateway's JSON config, `channels.wecom`, read and checked eagerly. Every problem is
 * collected and reported at once; messages name the field and what is wrong with it, never the
 * value of `token` or `encodingAESKey` (only their lengths).
 */
import { readFile } from 'node:fs/promises';
import { showKey } from '../../shared/config-keys.js';

export const DEFAULT_PORT = 9886;
export const PROXY_PROTOCOLS = ['http:', 'https:', 'socks5:', 'socks5h:'] as const;

export interface MavenWeComConfig {
  enabled: boolean;
  token: string;
  /** Exactly 43 characters. */
  encodingAESKey: string;
  /** Undefined (absent or `""`): not enforced, as in the reference. A non-empty value is enforced. */
  receiveId: string | undefined;
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

const KEYS = ['enabled', 'token', 'encodingAESKey', 'receiveId', 'port', 'allowFrom', 'proxy'] as const;
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

  const token = wecom.token;
  if (typeof token !== 'string' || token.length === 0) {
    problems.push('channels.wecom.token is required: the Token from the bot’s API-mode settings');
  } else if (token.trim() !== token) {
    problems.push('channels.wecom.token has leading or trailing whitespace (a copy-paste slip?)');
  }

  const key = wecom.encodingAESKey;
  if (typeof key !== 'string' || key.length === 0) {
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
    token: token as string,
    encodingAESKey: key as string,
    receiveId,
    port,
    allowFrom,
    proxy,
  };
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
