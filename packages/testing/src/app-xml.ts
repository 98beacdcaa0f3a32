/** Renders plain objects as WeCom message XML (`<xml><ToUserName><![CDATA[…]]></ToUserName>…</xml>`). */
import { cdata, WeComConfigError } from '@maven/wecom-crypto';

/** A value of a WeCom XML element: text (CDATA), a number (bare), nested elements, or repeats. */
export type AppXmlValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | AppXmlObject
  | readonly AppXmlValue[];
export interface AppXmlObject {
  [name: string]: AppXmlValue;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Strings become CDATA, numbers/bigints/booleans bare text, objects nested elements, arrays repeated
 * elements of the same name; `null`/`undefined` are skipped. Key order is kept.
 */
export function toAppMessageXml(message: AppXmlObject): string {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    throw new WeComConfigError('toAppMessageXml: message must be a plain object');
  }
  return `<xml>${children(message)}</xml>`;
}

function children(node: AppXmlObject): string {
  let out = '';
  for (const [name, value] of Object.entries(node)) out += element(name, value);
  return out;
}

function element(name: string, value: AppXmlValue): string {
  if (!NAME.test(name)) throw new WeComConfigError(`toAppMessageXml: "${name}" is not a valid element name`);
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((item: AppXmlValue) => element(name, item)).join('');
  if (typeof value === 'string') return `<${name}>${cdata(value)}</${name}>`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new WeComConfigError(`toAppMessageXml: ${name} is not a finite number`);
    }
    return `<${name}>${String(value)}</${name}>`;
  }
  return `<${name}>${children(value as AppXmlObject)}</${name}>`;
}
