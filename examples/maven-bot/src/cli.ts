/** Command-line flags of the maven-bot gateway. Bad flags are configuration errors (exit 2). */
import { parseArgs } from 'node:util';
import { ConfigError } from './config.js';

export const USAGE = `usage: maven-bot --config FILE [options]

  --config FILE        the gateway's JSON config (channels.wecom); or env MAVEN_CONFIG
  --host HOST          interface to listen on (default: all interfaces, dual-stack where IPv6
                       is available, as the reference; e.g. 127.0.0.1 for loopback only)
  --port N             overrides channels.wecom.port (0 = an ephemeral port)
  --stream             answer with a passive stream (several updates, then finish) instead of
                       a markdown reply through response_url
  --media-base URL     the origin media is downloaded from: allows its protocol (http for a local
                       simulator) and restricts downloads to its host. Alias: --api-base
  --redis URL          keep dedup, stream and response_url state in Redis (several replicas)
  --ack MODE           "empty" (default, WeCom's documented no-reply) or "success" (the
                       reference's encrypted "success" envelope)
  --stream-step-ms N   pause between stream updates (default 150)
  --ack-delay-ms N     test hook: answer callbacks N ms late, so WeCom re-delivers (default 0)
  --log-level LEVEL    debug, info (default), warn or error
  --help               this text`;

export type AckMode = 'empty' | 'success';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface CliOptions {
  help: boolean;
  config: string | undefined;
  /** Undefined: all interfaces (Node listens on "::" dual-stack, or 0.0.0.0 without IPv6). */
  host: string | undefined;
  port: number | undefined;
  stream: boolean;
  mediaBase: URL | undefined;
  redis: string | undefined;
  ack: AckMode;
  streamStepMs: number;
  ackDelayMs: number;
  logLevel: LogLevel;
}

function integer(name: string, value: string | undefined, min: number, max: number, problems: string[]) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    problems.push(`--${name} must be an integer from ${min} to ${max} (got "${value}")`);
    return undefined;
  }
  return n;
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
        stream: { type: 'boolean' },
        'media-base': { type: 'string' },
        'api-base': { type: 'string' },
        redis: { type: 'string' },
        ack: { type: 'string' },
        'stream-step-ms': { type: 'string' },
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

  const ack = (str('ack') ?? 'empty') as AckMode;
  if (ack !== 'empty' && ack !== 'success')
    problems.push(`--ack must be "empty" or "success" (got "${ack}")`);
  const logLevel = (str('log-level') ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    problems.push(`--log-level must be debug, info, warn or error (got "${logLevel}")`);
  }
  const rawBase = str('media-base') ?? str('api-base');
  let mediaBase: URL | undefined;
  if (rawBase !== undefined) {
    try {
      mediaBase = new URL(rawBase);
      if (mediaBase.protocol !== 'http:' && mediaBase.protocol !== 'https:') throw new Error('protocol');
    } catch {
      problems.push(`--media-base must be an http(s) URL (got "${rawBase}")`);
    }
  }
  const redis = str('redis');
  if (redis !== undefined && !/^rediss?:\/\//.test(redis)) {
    problems.push('--redis must be a redis:// or rediss:// URL');
  }
  const host = str('host');
  if (host !== undefined && host.trim() === '') problems.push('--host must not be empty');

  const options: CliOptions = {
    help: values.help === true,
    config: str('config') ?? (env.MAVEN_CONFIG || undefined),
    host,
    port: integer('port', str('port'), 0, 65535, problems),
    stream: values.stream === true,
    mediaBase,
    redis,
    ack,
    streamStepMs: integer('stream-step-ms', str('stream-step-ms'), 0, 60_000, problems) ?? 150,
    ackDelayMs: integer('ack-delay-ms', str('ack-delay-ms'), 0, 4_000, problems) ?? 0,
    logLevel,
  };
  if (!options.help && options.config === undefined) {
    problems.push('no config: pass --config FILE or set MAVEN_CONFIG');
  }
  if (problems.length > 0) throw new ConfigError(problems, 'command line');
  return options;
}
