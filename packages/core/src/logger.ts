import { redact, WeComConfigError } from './errors.js';
import { activeTraceIds } from './telemetry.js';

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

/** The fields of a record with the active span's `trace_id` and `span_id` added (when one records). */
function withTrace(fields: LogFields | undefined): LogFields | undefined {
  const ids = activeTraceIds();
  return ids ? { ...fields, ...ids } : fields;
}

/**
 * pino and loggers like it take `(fields, message)`, not `(message, fields)`: recognised by
 * pino's `bindings()` and `levels`, so a pino logger is passed as it is.
 */
function takesFieldsFirst(logger: object): boolean {
  const l = logger as { bindings?: unknown; levels?: unknown };
  return typeof l.bindings === 'function' && typeof l.levels === 'object' && l.levels !== null;
}

/** Loggers that redact every line themselves (the console logger, the silent one): not wrapped again. */
const selfRedacting = new WeakSet<Logger>([silentLogger]);

function errorFields(error: Error): Record<string, unknown> {
  return { name: error.name, code: (error as { code?: unknown }).code, message: redact(error.message) };
}

/**
 * Serialises fields for a log line: errors (at any depth) keep name, code and message only, all of
 * it redacted; bigints become strings; cycles become '[circular]'. Never throws.
 */
export function formatFields(fields: LogFields | undefined): string {
  if (!fields) return '';
  const seen = new WeakSet<object>();
  try {
    const json = JSON.stringify(fields, function (this: unknown, _key, value: unknown) {
      if (typeof value === 'bigint') return value.toString();
      if (value instanceof Error) return errorFields(value);
      if (value !== null && typeof value === 'object') {
        if (seen.has(value)) return '[circular]';
        seen.add(value);
      }
      return value;
    });
    return json === undefined ? '' : ` ${redact(json)}`;
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
  const level = options.level ?? 'warn';
  if (!Object.hasOwn(ORDER, level)) {
    throw new WeComConfigError(`log level must be one of ${Object.keys(ORDER).join(', ')}`);
  }
  const min = ORDER[level];
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
      write(level, redact(`${prefix}${level}: ${message}${formatFields(withTrace(fields))}`));
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  selfRedacting.add(logger);
  return logger;
}

/**
 * Wraps any logger so everything it receives is redacted first (errors reduced to name/code/message),
 * with the active span's `trace_id`/`span_id` added to the fields. A pino logger is passed as it
 * is: it gets `(fields, message)`, its own argument order.
 * A level the logger reports disabled (`isLevelEnabled(level) === false`, as pino has) is dropped
 * before its fields are formatted; our own console and silent loggers already redact and come back
 * as they are.
 */
export function redactingLogger(inner: Logger & { isLevelEnabled?: (level: LogLevel) => boolean }): Logger {
  if (selfRedacting.has(inner)) return inner;
  const enabled = typeof inner.isLevelEnabled === 'function' ? inner.isLevelEnabled.bind(inner) : undefined;
  const clean = (fields: LogFields | undefined): LogFields | undefined => {
    if (!fields) return undefined;
    const text = formatFields(fields).trim();
    try {
      return JSON.parse(text || '{}') as LogFields;
    } catch {
      return { fields: '[unserialisable fields]' };
    }
  };
  const fieldsFirst = takesFieldsFirst(inner);
  const wrap =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (enabled && !enabled(level)) return;
      const f = clean(withTrace(fields));
      if (fieldsFirst)
        (inner[level] as unknown as (f: LogFields, m: string) => void).call(inner, f ?? {}, redact(message));
      else inner[level].call(inner, redact(message), f);
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
