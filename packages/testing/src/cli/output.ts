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
