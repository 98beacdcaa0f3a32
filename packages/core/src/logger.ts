import { redact } from './errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Serialises fields for a log line; errors keep code and message only, all of it redacted. */
export function formatFields(fields: LogFields | undefined): string {
  if (!fields) return '';
  const plain: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error)
      plain[k] = { name: v.name, code: (v as { code?: unknown }).code, message: v.message };
    else plain[k] = v;
  }
  try {
    return ` ${JSON.stringify(plain)}`;
  } catch {
    return ' [unserialisable fields]';
  }
}

/**
 * A logger writing one redacted line per record to the console (or a given sink).
 * Default level `warn`.
 */
export function createConsoleLogger(
  options: { level?: LogLevel; write?: (level: LogLevel, line: string) => void; name?: string } = {},
): Logger {
  const min = ORDER[options.level ?? 'warn'];
  const prefix = options.name ? `[${options.name}] ` : '[wecom] ';
  const write =
    options.write ??
    ((level: LogLevel, line: string) => {
      (level === 'error' ? console.error : level === 'warn' ? console.warn : console.log)(line);
    });
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (ORDER[level] < min) return;
      write(level, redact(`${prefix}${level}: ${message}${formatFields(fields)}`));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Wraps any logger so everything it receives is redacted first. */
export function redactingLogger(inner: Logger): Logger {
  const wrap =
    (fn: Logger[LogLevel]) =>
    (message: string, fields?: LogFields): void =>
      fn.call(
        inner,
        redact(message),
        fields ? (JSON.parse(redact(formatFields(fields).trim() || '{}')) as LogFields) : undefined,
      );
  return {
    debug: wrap(inner.debug),
    info: wrap(inner.info),
    warn: wrap(inner.warn),
    error: wrap(inner.error),
  };
}
