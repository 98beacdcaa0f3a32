/** CLI output: plain lines on stdout, problems on stderr. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function intOption(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
  return n;
}

export function modeOption(value: string | undefined): 'bot' | 'app' {
  const mode = value ?? 'bot';
  if (mode !== 'bot' && mode !== 'app') throw new UsageError('--mode must be "bot" or "app"');
  return mode;
}

export function required(name: string, value: string | undefined): string {
  if (value === undefined || value.length === 0) throw new UsageError(`--${name} is required`);
  return value;
}

/** The URL without its query string (which may carry signatures). */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export type Env = Record<string, string | undefined>;

/** The option's value, else the first environment variable that is set and not empty. */
export function withEnv(value: string | undefined, env: Env, names: readonly string[]): string | undefined {
  if (value !== undefined) return value;
  for (const name of names) {
    const found = env[name];
    if (found !== undefined && found.length > 0) return found;
  }
  return undefined;
}

/** Environment variables the keys are read from when the options are absent, by mode. */
export const KEY_ENV = {
  token: { bot: ['WECOM_BOT_TOKEN', 'WECOM_TOKEN'], app: ['WECOM_TOKEN'] },
  key: { bot: ['WECOM_BOT_AES_KEY', 'WECOM_ENCODING_AES_KEY'], app: ['WECOM_ENCODING_AES_KEY'] },
} as const;

export const KEYS_HELP = `  --token, --key   default: $WECOM_TOKEN, $WECOM_ENCODING_AES_KEY (bot mode first tries
                   $WECOM_BOT_TOKEN, $WECOM_BOT_AES_KEY)
  --corp-id        default: $WECOM_CORP_ID        --agent-id  default: $WECOM_AGENT_ID`;

/** Token and EncodingAESKey from the options or the environment; a usage error names both sources. */
export function keysFrom(
  values: { token?: string | undefined; key?: string | undefined },
  env: Env,
  mode: 'bot' | 'app',
): { token: string; key: string } {
  const token = withEnv(values.token, env, KEY_ENV.token[mode]);
  const key = withEnv(values.key, env, KEY_ENV.key[mode]);
  if (token === undefined || token.length === 0)
    throw new UsageError(`--token is required (or set ${KEY_ENV.token[mode].join(' or ')})`);
  if (key === undefined || key.length === 0)
    throw new UsageError(`--key is required (or set ${KEY_ENV.key[mode].join(' or ')})`);
  return { token, key };
}
