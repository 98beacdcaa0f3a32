/**
 * The reference adapter's YAML config, `platforms.wecom_callback`, read with the `yaml` package
 * and checked eagerly. Every problem is collected and reported at once; messages name the field
 * (and the app) but never a secret's value (`token`, `encoding_aes_key`, `corp_secret`).
 */
import { readFile } from 'node:fs/promises';
import type { AllowPolicy, AppConfig } from '@maven/wecom-callback';
import { isScalar, parseDocument, visit } from 'yaml';
import { showKey } from '../../shared/config-keys.js';

/** All IPv4 interfaces, as the reference adapter (`--host ::` for dual-stack). */
export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_PORT = 8645;
export const DEFAULT_PATH = '/wecom/callback';

export interface HermesCallbackConfig {
  enabled: boolean;
  /** Default 0.0.0.0 (all IPv4 interfaces, as the reference). */
  host: string;
  /** True when `host` came from the default (so the IPv4 fallback is allowed). */
  hostDefaulted: boolean;
  port: number;
  path: string;
  apps: AppConfig[];
}

export class ConfigError extends Error {
  readonly exitCode = 2;
  readonly problems: readonly string[];

  constructor(problems: readonly string[], where = 'config') {
    super(`invalid ${where}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const APP_KEYS = ['name', 'corp_id', 'corp_secret', 'agent_id', 'token', 'encoding_aes_key'] as const;
const EXTRA_KEYS = ['host', 'port', 'path', 'apps', ...APP_KEYS] as const;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function unknownKeys(
  at: string,
  value: Record<string, unknown>,
  known: readonly string[],
  problems: string[],
) {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const normalized = key.toLowerCase().replace(/[-_]/g, '');
    const near = known.find((k) => k.replace(/_/g, '') === normalized);
    problems.push(`${at}.${showKey(key)} is not a known field${near ? ` (did you mean "${near}"?)` : ''}`);
  }
}

function app(
  at: string,
  raw: Record<string, unknown>,
  name: string,
  problems: string[],
): AppConfig | undefined {
  const before = problems.length;
  const text = (key: string, what: string): string => {
    // YAML numbers arrive here as their source text (parseYamlText); a number from elsewhere is read
    // as the string it means.
    const value = typeof raw[key] === 'number' ? String(raw[key]) : raw[key];
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`${at}.${key} is required: ${what}`);
      return '';
    }
    if (value.trim() !== value) problems.push(`${at}.${key} has leading or trailing whitespace`);
    return value;
  };
  if (!NAME.test(name)) {
    problems.push(
      `${at}.name must be letters, digits, ".", "_" or "-" (it is also the path /wecom/callback/<name>)`,
    );
  }
  const corpId = text('corp_id', 'the CorpID (ww…)');
  const corpSecret = text('corp_secret', 'the app’s Secret (for access tokens and message/send)');
  const agentId = raw.agent_id;
  let agent = 0;
  if (typeof agentId === 'number' && Number.isSafeInteger(agentId) && agentId >= 0) agent = agentId;
  else if (typeof agentId === 'string' && /^\d{1,10}$/.test(agentId.trim())) agent = Number(agentId.trim());
  else problems.push(`${at}.agent_id is required: the app’s AgentId, an integer`);
  const token = text('token', 'the callback Token');
  const key = raw.encoding_aes_key;
  if (typeof key !== 'string' || key === '') {
    problems.push(`${at}.encoding_aes_key is required: the 43-character EncodingAESKey`);
  } else if (key.length !== 43) {
    problems.push(`${at}.encoding_aes_key must be exactly 43 characters (got ${key.length})`);
  } else if (!BASE64_KEY.test(key)) {
    problems.push(`${at}.encoding_aes_key may only contain A-Z, a-z, 0-9, "+" and "/"`);
  }
  if (problems.length > before) return undefined;
  return { name, corpId, corpSecret, agentId: agent, token, encodingAESKey: key as string };
}

/** Checks the parsed YAML of the whole agent config; returns `platforms.wecom_callback`, resolved. */
export function parseHermesConfig(root: unknown): HermesCallbackConfig {
  const problems: string[] = [];
  if (!isObject(root)) throw new ConfigError(['the config must be a YAML mapping']);
  const platforms = root.platforms;
  if (!isObject(platforms)) throw new ConfigError(['"platforms" is missing or not a mapping']);
  const platform = platforms.wecom_callback;
  if (!isObject(platform)) throw new ConfigError(['"platforms.wecom_callback" is missing or not a mapping']);
  if (typeof platform.enabled !== 'boolean') {
    problems.push('platforms.wecom_callback.enabled is required: true or false');
  }
  const extra = platform.extra ?? {};
  if (!isObject(extra)) throw new ConfigError(['platforms.wecom_callback.extra must be a mapping']);
  const at = 'platforms.wecom_callback.extra';
  unknownKeys(at, extra, EXTRA_KEYS, problems);

  let host = DEFAULT_HOST;
  const hostDefaulted = extra.host === undefined || extra.host === null || extra.host === '';
  if (!hostDefaulted) {
    if (typeof extra.host !== 'string')
      problems.push(`${at}.host must be a string such as "::" or "0.0.0.0"`);
    else host = extra.host.trim();
  }
  let port = DEFAULT_PORT;
  if (extra.port !== undefined && extra.port !== null) {
    const n = typeof extra.port === 'string' && /^\d+$/.test(extra.port) ? Number(extra.port) : extra.port;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
      problems.push(`${at}.port must be an integer from 0 to 65535 (got ${JSON.stringify(extra.port)})`);
    } else port = n;
  }
  let path = DEFAULT_PATH;
  if (extra.path !== undefined && extra.path !== null) {
    if (typeof extra.path !== 'string' || !/^\/[A-Za-z0-9._~\-/]*$/.test(extra.path)) {
      problems.push(`${at}.path must be a URL path starting with "/" (got ${JSON.stringify(extra.path)})`);
    } else path = extra.path.replace(/\/+$/, '') || '/';
  }

  const apps: AppConfig[] = [];
  const single = APP_KEYS.filter((k) => k !== 'name' && extra[k] !== undefined);
  if (extra.apps !== undefined && extra.apps !== null) {
    if (single.length > 0) {
      problems.push(`${at}: give either "apps" or the single-app fields (${single.join(', ')}), not both`);
    }
    if (!Array.isArray(extra.apps) || extra.apps.length === 0) {
      problems.push(`${at}.apps must be a non-empty list of apps`);
    } else {
      const names = new Set<string>();
      extra.apps.forEach((entry: unknown, i: number) => {
        const where = `${at}.apps[${i}]`;
        if (!isObject(entry)) {
          problems.push(`${where} must be a mapping`);
          return;
        }
        unknownKeys(where, entry, APP_KEYS, problems);
        const name = entry.name === undefined ? `app-${i + 1}` : String(entry.name);
        if (names.has(name)) problems.push(`${where}.name "${name}" is used by another app`);
        names.add(name);
        const resolved = app(where, entry, name, problems);
        if (resolved) apps.push(resolved);
      });
    }
  } else if (single.length > 0) {
    const name = extra.name === undefined ? 'default' : String(extra.name);
    const resolved = app(at, extra, name, problems);
    if (resolved) apps.push(resolved);
  } else {
    problems.push(
      `${at} has no app: give "apps" (a list) or corp_id, corp_secret, agent_id, token, encoding_aes_key`,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { enabled: platform.enabled as boolean, host, hostDefaulted, port, path, apps };
}

/**
 * Parses YAML without echoing the text: a syntax error is reported by line and column only (the
 * parser's own message quotes the source, which could be a secret).
 */
export function parseYamlText(text: string, file: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const [line, column] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [0, 0];
    throw new ConfigError([`${file} is not valid YAML (${error.code}) at line ${line}, column ${column}`]);
  }
  // An unquoted `token: 012345` or `agent_id: 1000002` is a YAML number; these fields are strings,
  // so they keep the text as written (leading zeros and all) instead of the number it parses as.
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && STRING_FIELDS.has(String(pair.key.value)) && isScalar(pair.value)) {
        const { value, source } = pair.value as { value: unknown; source?: string };
        if (typeof value === 'number' && typeof source === 'string') pair.value.value = source;
      }
    },
  });
  return doc.toJS({ maxAliasCount: 100 });
}

const STRING_FIELDS = new Set(['name', 'corp_id', 'corp_secret', 'agent_id', 'token', 'encoding_aes_key']);

/** The reference adapter's environment variables for the single-app form, by `extra` field. */
export const ENV_FIELDS = {
  corp_id: 'WECOM_CALLBACK_CORP_ID',
  corp_secret: 'WECOM_CALLBACK_CORP_SECRET',
  agent_id: 'WECOM_CALLBACK_AGENT_ID',
  token: 'WECOM_CALLBACK_TOKEN',
  encoding_aes_key: 'WECOM_CALLBACK_ENCODING_AES_KEY',
  host: 'WECOM_CALLBACK_HOST',
  port: 'WECOM_CALLBACK_PORT',
  path: 'WECOM_CALLBACK_PATH',
} as const;
type EnvField = keyof typeof ENV_FIELDS;
const APP_ENV_FIELDS: readonly EnvField[] = [
  'corp_id',
  'corp_secret',
  'agent_id',
  'token',
  'encoding_aes_key',
];

/** True when the environment alone configures an app (then no config file is needed). */
export function envConfiguresApp(env: Record<string, string | undefined>): boolean {
  return APP_ENV_FIELDS.some((field) => (env[ENV_FIELDS[field]] ?? '') !== '');
}

/**
 * Config file and environment merged: a field set in the file wins, an environment variable fills
 * a field the file leaves out, and without a file the environment is the whole configuration (the
 * platform then counts as enabled). The single-app variables next to an `apps` list are refused:
 * which app they would belong to is not said.
 */
export function mergeEnv(root: unknown, env: Record<string, string | undefined>): HermesCallbackConfig {
  const base = root === undefined ? { platforms: { wecom_callback: { enabled: true, extra: {} } } } : root;
  const platform = isObject(base) && isObject(base.platforms) ? base.platforms.wecom_callback : undefined;
  if (!isObject(platform)) return parseHermesConfig(base);
  const extra: Record<string, unknown> = isObject(platform.extra) ? { ...platform.extra } : {};
  if (platform.extra !== undefined && !isObject(platform.extra)) return parseHermesConfig(base);
  const fromEnv: EnvField[] = [];
  for (const [field, name] of Object.entries(ENV_FIELDS) as [EnvField, string][]) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (extra[field] !== undefined && extra[field] !== null && extra[field] !== '') continue;
    extra[field] = value;
    fromEnv.push(field);
  }
  const stray = fromEnv.filter((f) => APP_ENV_FIELDS.includes(f));
  if (extra.apps !== undefined && extra.apps !== null && stray.length > 0) {
    throw new ConfigError([
      `${stray.map((f) => ENV_FIELDS[f]).join(', ')} configure the single-app form, but the config file lists apps: set these fields in its apps entries instead`,
    ]);
  }
  try {
    const platforms = (base as { platforms: Record<string, unknown> }).platforms;
    return parseHermesConfig({
      ...(base as Record<string, unknown>),
      platforms: { ...platforms, wecom_callback: { ...platform, extra } },
    });
  } catch (error) {
    if (!(error instanceof ConfigError) || fromEnv.length === 0) throw error;
    // Name the variable a bad value came from, not the file field it stood in for.
    const problems = error.problems.map((p) =>
      fromEnv.reduce(
        (text, f) => text.replace(`platforms.wecom_callback.extra.${f} `, `${ENV_FIELDS[f]} `),
        p,
      ),
    );
    throw new ConfigError(problems);
  }
}

/** Reads the config file (if any) and merges the environment into it (see `mergeEnv`). */
export async function loadHermesConfig(
  file: string | undefined,
  env: Record<string, string | undefined> = {},
): Promise<HermesCallbackConfig> {
  if (file === undefined) return mergeEnv(undefined, env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`cannot read ${file} (${(error as { code?: string }).code ?? 'error'})`]);
  }
  return mergeEnv(parseYamlText(text, file), env);
}

/**
 * With apps of several corps, a bare user id in WECOM_CALLBACK_ALLOWED_USERS would let that id in
 * from every corp (the reference's cross-corp leak): refused at start, with the scoped spelling.
 */
export function checkAllowScope(policy: AllowPolicy, apps: readonly AppConfig[]): void {
  const corps = [...new Set(apps.map((a) => a.corpId))];
  if (corps.length < 2 || policy.allowAll === true) return;
  const bare = (policy.users ?? []).filter((u) => u !== '*' && !u.includes(':'));
  if (bare.length === 0) return;
  throw new ConfigError(
    [
      `WECOM_CALLBACK_ALLOWED_USERS has bare user ids (${bare.join(', ')}) but the apps are in ${corps.length} corps ` +
        `(${corps.join(', ')}), so each would match that id in every corp: write corpId:userId ` +
        `(e.g. ${corps[0]}:${bare[0]}) or corpId:agentId:userId`,
    ],
    'environment',
  );
}
