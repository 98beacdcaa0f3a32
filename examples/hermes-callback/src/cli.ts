/** Command-line flags of the hermes-callback gateway. Bad flags are configuration errors (exit 2). */
import { parseArgs } from 'node:util';
import { ConfigError, envConfiguresApp } from './config.js';

export const USAGE = `usage: hermes-callback --config FILE [options]

  --config FILE      the agent's YAML config (platforms.wecom_callback); or env HERMES_CONFIG;
                     optional when the environment configures the app (below)
  --host HOST        overrides extra.host (default 0.0.0.0, all IPv4 interfaces; "::" dual-stack)
  --port N           overrides extra.port (default 8645; 0 = an ephemeral port)
  --api-base URL     WeCom API base (default https://qyapi.weixin.qq.com); or env WECOM_API_BASE
  --redis URL        keep dedup and access tokens in Redis (several replicas)
  --ack-delay-ms N   test hook: answer callbacks N ms late, so WeCom re-delivers (default 0)
  --log-level LEVEL  debug, info (default), warn or error
  --help             this text

Environment (as the reference adapter; a field set in the config file wins, a variable fills a
field the file leaves out, and without a file the variables are the whole single-app config):
  WECOM_CALLBACK_CORP_ID, WECOM_CALLBACK_CORP_SECRET, WECOM_CALLBACK_AGENT_ID, WECOM_CALLBACK_TOKEN,
  WECOM_CALLBACK_ENCODING_AES_KEY     the single app
  WECOM_CALLBACK_HOST (0.0.0.0), WECOM_CALLBACK_PORT (8645), WECOM_CALLBACK_PATH (/wecom/callback)

Allowlist (as the reference adapter; nothing set = nobody may talk to the apps):
  WECOM_CALLBACK_ALLOWED_USERS=zhangsan,lisi   user ids, corpId:userId or corpId:agentId:userId; * = all
  WECOM_CALLBACK_ALLOW_ALL_USERS=true          everyone (true, 1 or yes)
  With apps of several corps, bare user ids are refused: write corpId:userId.`;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface CliOptions {
  help: boolean;
  config: string | undefined;
  host: string | undefined;
  port: number | undefined;
  apiBase: string | undefined;
  redis: string | undefined;
  ackDelayMs: number;
  logLevel: LogLevel;
}

export function parseCli(argv: readonly string[], env: Record<string, string | undefined>): CliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'api-base': { type: 'string' },
        redis: { type: 'string' },
        'ack-delay-ms': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new ConfigError([(error as Error).message], 'command line');
  }
  const problems: string[] = [];
  const str = (name: string) => values[name] as string | undefined;
  const int = (name: string, max: number): number | undefined => {
    const value = str(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) > max) {
      problems.push(`--${name} must be an integer from 0 to ${max} (got "${value}")`);
      return undefined;
    }
    return Number(value);
  };
  const logLevel = (str('log-level') ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    problems.push(`--log-level must be debug, info, warn or error (got "${logLevel}")`);
  }
  const apiBase = str('api-base') ?? (env.WECOM_API_BASE || undefined);
  if (apiBase !== undefined) {
    let ok = false;
    try {
      const url = new URL(apiBase);
      ok = (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.username;
    } catch {
      ok = false;
    }
    if (!ok)
      problems.push(
        `the API base (--api-base / WECOM_API_BASE) must be an http(s) URL without query or credentials`,
      );
  }
  const redis = str('redis');
  if (redis !== undefined && !/^rediss?:\/\//.test(redis))
    problems.push('--redis must be a redis:// or rediss:// URL');
  const host = str('host');
  if (host !== undefined && host.trim() === '') problems.push('--host must not be empty');
  const options: CliOptions = {
    help: values.help === true,
    config: str('config') ?? (env.HERMES_CONFIG || undefined),
    host,
    port: int('port', 65535),
    apiBase,
    redis,
    ackDelayMs: int('ack-delay-ms', 3000) ?? 0,
    logLevel,
  };
  if (!options.help && options.config === undefined && !envConfiguresApp(env))
    problems.push(
      'no config: pass --config FILE, set HERMES_CONFIG, or configure the app with WECOM_CALLBACK_CORP_ID, WECOM_CALLBACK_CORP_SECRET, WECOM_CALLBACK_AGENT_ID, WECOM_CALLBACK_TOKEN and WECOM_CALLBACK_ENCODING_AES_KEY',
    );
  if (problems.length > 0) throw new ConfigError(problems, 'command line');
  return options;
}
