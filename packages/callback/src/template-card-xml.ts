/**
 * A template card given as message/send JSON (snake_case) rendered as the passive-reply XML
 * `<TemplateCard>`: keys become PascalCase (`icon_url` → `IconUrl`, `keyname` → `KeyName`), arrays
 * become repeated elements of the list's name (`<ButtonList>…</ButtonList><ButtonList>…`), strings
 * CDATA, numbers and booleans bare. Keys already in PascalCase are kept. This file maps the names;
 * the XML is built by `buildXml`.
 */
import type { XmlInput, XmlInputObject } from '@maven/wecom-crypto';
import { WeComMessageError } from './errors.js';

const SPECIAL: Record<string, string> = {
  keyname: 'KeyName',
  userid: 'UserId',
  appid: 'AppId',
  pagepath: 'PagePath',
  btntxt: 'BtnTxt',
};
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function xmlName(key: string): string {
  const special = SPECIAL[key];
  const name =
    special ??
    (/^[A-Z]/.test(key)
      ? key
      : key
          .split('_')
          .filter((p) => p.length > 0)
          .map((p) => p[0]!.toUpperCase() + p.slice(1))
          .join(''));
  if (!NAME.test(name)) throw new WeComMessageError(`"${key}" cannot be an XML element name`);
  return name;
}

function renamed(name: string, value: unknown, depth: number): XmlInput {
  if (depth > 16) throw new WeComMessageError('template card nests too deeply');
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((item) => renamed(name, item, depth + 1));
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new WeComMessageError(`${name} is not a finite number`);
    return value;
  }
  if (typeof value === 'object') {
    const out: XmlInputObject = {};
    for (const [k, v] of Object.entries(value)) {
      const key = xmlName(k);
      out[key] = renamed(key, v, depth + 1);
    }
    return out;
  }
  throw new WeComMessageError(`${name} has an unsupported value type`);
}

/** The `<TemplateCard>` element's content for an update_template_card passive reply. */
export function templateCardElement(card: Record<string, unknown>): XmlInputObject {
  return renamed('TemplateCard', card, 0) as XmlInputObject;
}
