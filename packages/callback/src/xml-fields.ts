/** Readers for fields of a parsed callback XML object (every leaf a string, nested elements objects). */
import type { XmlObject, XmlValue } from '@maven/wecom-crypto';

export function text(node: XmlObject | undefined, name: string): string {
  const value = node?.[name];
  return typeof value === 'string' ? value : '';
}

export function optional(node: XmlObject, name: string): string | undefined {
  const value = node[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function num(node: XmlObject | undefined, name: string): number {
  const value = text(node, name);
  return value === '' ? Number.NaN : Number(value);
}

export function child(node: XmlObject | undefined, name: string): XmlObject | undefined {
  const value = node?.[name];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

export function many(value: XmlValue | undefined): XmlValue[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Every string among the repeats of `name` (e.g. `<Item>a</Item><Item>b</Item>`). */
export function strings(node: XmlObject | undefined, name: string): string[] {
  return many(node?.[name]).filter((v): v is string => typeof v === 'string' && v.length > 0);
}

export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
