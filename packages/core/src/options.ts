/** Eager option validation for every package: unknown keys refused, types checked, messages naming the option (never its value). */
import { WeComConfigError } from './errors.js';

export function checkObject(where: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WeComConfigError(`${where}: options must be an object`);
  }
  return value as Record<string, unknown>;
}

export function checkKeys(where: string, value: unknown, allowed: readonly string[]): void {
  const record = checkObject(where, value);
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) throw new WeComConfigError(`${where}: unknown option "${key}"`);
  }
}

export function requireString(where: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new WeComConfigError(`${where}: ${name} must be a non-empty string`);
  }
  return value;
}

export function optionalNumber(
  where: string,
  name: string,
  value: unknown,
  fallback: number,
  range: { min: number; max?: number; integer?: boolean },
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= range.min &&
    (range.max === undefined || value <= range.max) &&
    (!range.integer || Number.isInteger(value));
  if (!ok) {
    const bound = range.max === undefined ? `>= ${range.min}` : `from ${range.min} to ${range.max}`;
    throw new WeComConfigError(
      `${where}: ${name} must be a${range.integer ? 'n integer' : ' number'} ${bound}`,
    );
  }
  return value as number;
}

export function optionalFunction<T>(where: string, name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new WeComConfigError(`${where}: ${name} must be a function`);
  return value as T;
}
