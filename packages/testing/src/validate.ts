/** Eager option checks shared by the builders, the simulator and the drivers. */
import { WeComConfigError } from '@maven/wecom-crypto';

/** Refuses keys that are not in `allowed`, so a typo fails loudly instead of being ignored. */
export function checkKeys(where: string, options: object, allowed: readonly string[]): void {
  if (options === null || typeof options !== 'object')
    throw new WeComConfigError(`${where}: options are required`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new WeComConfigError(`${where}: unknown option "${key}"`);
  }
}

export function requireString(where: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new WeComConfigError(`${where}: ${name} must be a non-empty string`);
  }
  return value;
}

export function optionalNumber(
  where: string,
  name: string,
  value: unknown,
  fallback: number,
  min = 0,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new WeComConfigError(`${where}: ${name} must be a number ≥ ${min}`);
  }
  return value;
}

/** A timestamp option: seconds since the epoch as a number or a decimal string; default now. */
export function timestampOf(where: string, value: string | number | undefined, now = Date.now): string {
  if (value === undefined) return String(Math.floor(now() / 1000));
  const text = String(value);
  if (!/^\d{1,15}$/.test(text)) throw new WeComConfigError(`${where}: timestamp must be decimal seconds`);
  return text;
}
