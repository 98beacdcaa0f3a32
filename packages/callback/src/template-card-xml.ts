/**
 * A template card given as message/send JSON (snake_case) rendered as the passive-reply XML
 * `<TemplateCard>`: keys become PascalCase (`icon_url` → `IconUrl`, `keyname` → `KeyName`), arrays
 * become repeated elements of the list's name (`<ButtonList>…</ButtonList><ButtonList>…`), strings
 * CDATA, numbers and booleans bare. Keys already in PascalCase are kept.
 */
import { cdata } from '@maven/wecom-crypto';
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

function element(name: string, value: unknown, depth: number): string {
  if (depth > 16) throw new WeComMessageError('template card nests too deeply');
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => element(name, item, depth + 1)).join('');
  if (typeof value === 'string') return `<${name}>${cdata(value)}</${name}>`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new WeComMessageError(`${name} is not a finite number`);
    return `<${name}>${value}</${name}>`;
  }
  if (typeof value === 'boolean') return `<${name}>${value}</${name}>`;
  if (typeof value === 'object') {
    let inner = '';
    for (const [k, v] of Object.entries(value)) inner += element(xmlName(k), v, depth + 1);
    return `<${name}>${inner}</${name}>`;
  }
  throw new WeComMessageError(`${name} has an unsupported value type`);
}

/** `<TemplateCard>…</TemplateCard>` for an update_template_card passive reply. */
export function templateCardXml(card: Record<string, unknown>): string {
  return element('TemplateCard', card, 0);
}
