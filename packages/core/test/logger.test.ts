import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createConsoleLogger,
  formatFields,
  type Logger,
  type LogLevel,
  redactingLogger,
  registerSecret,
  silentLogger,
  WeComApiError,
  WeComConfigError,
} from '../src/index.js';

function sink() {
  const lines: Array<[LogLevel, string]> = [];
  return { lines, write: (level: LogLevel, line: string) => lines.push([level, line]) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createConsoleLogger', () => {
  it('writes records at or above the level, default warn', () => {
    const s = sink();
    const log = createConsoleLogger({ write: s.write });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(s.lines).toEqual([
      ['warn', '[wecom] warn: w'],
      ['error', '[wecom] error: e'],
    ]);
    const all = sink();
    const debug = createConsoleLogger({ level: 'debug', write: all.write, name: 'bot' });
    debug.debug('d', { n: 1 });
    debug.info('i');
    expect(all.lines).toEqual([
      ['debug', '[bot] debug: d {"n":1}'],
      ['info', '[bot] info: i'],
    ]);
    const errorOnly = sink();
    const e = createConsoleLogger({ level: 'error', write: errorOnly.write });
    e.warn('w');
    e.error('x');
    expect(errorOnly.lines.map(([l]) => l)).toEqual(['error']);
  });

  it('refuses an unknown level at construction', () => {
    expect(() => createConsoleLogger({ level: 'verbose' as LogLevel })).toThrow(WeComConfigError);
  });

  it('goes to console.warn / console.error / console.log by default', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const logger = createConsoleLogger({ level: 'info' });
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(log).toHaveBeenCalledWith('[wecom] info: i');
    expect(warn).toHaveBeenCalledWith('[wecom] warn: w');
    expect(error).toHaveBeenCalledWith('[wecom] error: e');
  });

  it('redacts registered secrets and secret query parameters in messages and fields', () => {
    registerSecret('corp-secret-XYZ123');
    const s = sink();
    const log = createConsoleLogger({ level: 'debug', write: s.write });
    log.warn('calling https://h/cgi-bin/x?access_token=AT-0001&y=1 with corp-secret-XYZ123', {
      url: 'https://h/gettoken?corpsecret=CS-999',
      secret: 'corp-secret-XYZ123',
      nested: { access_token: 'AT-nested' },
    });
    const line = s.lines[0]![1];
    expect(line).not.toContain('AT-0001');
    expect(line).not.toContain('CS-999');
    expect(line).not.toContain('corp-secret-XYZ123');
    expect(line).not.toContain('AT-nested');
    expect(line).toContain('access_token=[redacted]&y=1');
    expect(line).toContain('"secret":"[redacted]"');
  });

  it('serialises Error fields to name/code/message, at any depth', () => {
    const s = sink();
    const log = createConsoleLogger({ write: s.write });
    const api = new WeComApiError(-1, 'system busy', '/cgi-bin/x');
    log.error('failed', { error: api, inner: { plain: new TypeError('boom') } });
    const json = JSON.parse(s.lines[0]![1].slice('[wecom] error: failed '.length));
    expect(json).toEqual({
      error: { name: 'WeComApiError', code: 'api_error', message: api.message },
      inner: { plain: { name: 'TypeError', message: 'boom' } },
    });
    expect(s.lines[0]![1]).not.toContain('stack');
  });
});

describe('formatFields', () => {
  it('never throws: bigints become strings, cycles are marked', () => {
    expect(formatFields(undefined)).toBe('');
    expect(formatFields({ n: 10n })).toBe(' {"n":"10"}');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(formatFields({ cyclic })).toBe(' {"cyclic":{"a":1,"self":"[circular]"}}');
    const hostile = {
      toJSON() {
        throw new Error('no');
      },
    };
    expect(formatFields({ hostile })).toBe(' [unserialisable fields]');
  });
});

describe('redactingLogger', () => {
  function recording() {
    const calls: Array<[string, string, unknown]> = [];
    const at =
      (level: string) =>
      (message: string, fields?: Record<string, unknown>): void => {
        calls.push([level, message, fields]);
      };
    const inner: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    return { calls, inner };
  }

  it('redacts the message and the fields before the inner logger sees them', () => {
    registerSecret('aes-key-VALUE-42');
    const { calls, inner } = recording();
    const log = redactingLogger(inner);
    log.info('key aes-key-VALUE-42 and ?access_token=T0K3N', {
      error: new Error('url ?access_token=T0K3N'),
      key: 'aes-key-VALUE-42',
    });
    log.debug('plain');
    log.warn('w', {});
    log.error('e');
    expect(calls).toEqual([
      [
        'info',
        'key [redacted] and ?access_token=[redacted]',
        { error: { name: 'Error', message: 'url ?access_token=[redacted]' }, key: '[redacted]' },
      ],
      ['debug', 'plain', undefined],
      ['warn', 'w', {}],
      ['error', 'e', undefined],
    ]);
  });

  it('does not throw on fields it cannot serialise', () => {
    const { calls, inner } = recording();
    const hostile = {
      toJSON() {
        throw new Error('no');
      },
    };
    expect(() => redactingLogger(inner).warn('x', { hostile })).not.toThrow();
    expect(calls[0]).toEqual(['warn', 'x', { fields: '[unserialisable fields]' }]);
  });

  it('skips levels the inner logger reports disabled, before formatting their fields', () => {
    const { calls, inner } = recording();
    let formatted = 0;
    const costly = {
      toJSON() {
        formatted++;
        return 'x';
      },
    };
    const log = redactingLogger({ ...inner, isLevelEnabled: (level) => level !== 'debug' });
    log.debug('dropped', { costly });
    log.info('kept', { costly });
    expect(calls).toEqual([['info', 'kept', { costly: 'x' }]]);
    expect(formatted).toBe(1);
  });

  it('returns loggers that already redact every line (console, silent) unwrapped', () => {
    const lines: string[] = [];
    const console = createConsoleLogger({ level: 'debug', write: (_level, line) => lines.push(line) });
    expect(redactingLogger(console)).toBe(console);
    expect(redactingLogger(silentLogger)).toBe(silentLogger);
    registerSecret('aes-key-VALUE-43');
    redactingLogger(console).info('key aes-key-VALUE-43', { error: new Error('aes-key-VALUE-43') });
    expect(lines.join('\n')).not.toContain('aes-key-VALUE-43');
    expect(lines.join('\n')).toContain('[redacted]');
  });

  it('silentLogger accepts every call', () => {
    expect(() => {
      silentLogger.debug('a');
      silentLogger.info('a');
      silentLogger.warn('a', { x: 1 });
      silentLogger.error('a');
    }).not.toThrow();
  });
});

describe('a pino logger, passed as it is', () => {
  it('gets (fields, message), its own order: structured JSON lines with the fields, redacted', async () => {
    const { pino } = await import('pino');
    const lines: string[] = [];
    const destination = { write: (line: string) => lines.push(line) };
    // pino's type fits the Logger interface as it is: no adapter.
    const logger: Logger = pino({ level: 'info', base: null, timestamp: false }, destination);
    const log = redactingLogger(logger);
    registerSecret('pino-secret-VALUE-77');
    log.debug('dropped', { n: 0 });
    log.warn('reply failed', { channel: 'response_url', error: new Error('token pino-secret-VALUE-77') });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 40, msg: 'reply failed', channel: 'response_url' });
    expect(record.error).toMatchObject({ name: 'Error' });
    expect(lines[0]).not.toContain('pino-secret-VALUE-77');
    expect(lines[0]).toContain('[redacted]');
  });
});
