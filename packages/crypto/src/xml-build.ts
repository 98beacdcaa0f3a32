/**
 * The one builder of WeCom message XML (passive replies, template cards, the simulator's app
 * messages), on fast-xml-parser's XMLBuilder: strings as CDATA (as WeCom sends and expects them;
 * a `]]>` inside is split by the builder), numbers, bigints and booleans as bare text, objects as
 * nested elements, arrays as repeated elements of one name; `null`/`undefined` are left out and key
 * order is kept. The encrypted envelope (base64, digits and hex only) stays a template string.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { WeComConfigError } from './errors.js';

export type XmlInput =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | XmlInputObject
  | readonly XmlInput[];
export interface XmlInputObject {
  [name: string]: XmlInput;
}

const CDATA = '#cdata';
const builder = new XMLBuilder({
  cdataPropName: CDATA,
  ignoreAttributes: true,
  format: false,
  suppressEmptyNode: false,
  processEntities: true,
  // Our values carry no callbacks that need the element's path as a string: skip building it per node.
  jPath: false,
} as ConstructorParameters<typeof XMLBuilder>[0]);
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const MAX_DEPTH = 32;

/** `<xml>…</xml>` (or another root name) from a plain object. Bad names and values throw WeComConfigError. */
export function buildXml(content: XmlInputObject, root = 'xml'): string {
  if (content === null || typeof content !== 'object' || Array.isArray(content)) {
    throw new WeComConfigError('buildXml: content must be a plain object');
  }
  return builder.build({ [checkName(root)]: tree(content, 0) }) as string;
}

type Tree = string | { [CDATA]: string } | Tree[] | { [name: string]: Tree };

function tree(node: XmlInputObject, depth: number): { [name: string]: Tree } {
  if (depth > MAX_DEPTH) throw new WeComConfigError('buildXml: nested too deeply');
  const out: { [name: string]: Tree } = {};
  for (const name of Object.keys(node)) {
    const built = element(checkName(name), node[name], depth);
    if (built !== undefined) out[name] = built;
  }
  return out;
}

function element(name: string, value: XmlInput, depth: number): Tree | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const items: Tree[] = [];
    for (const item of value as readonly XmlInput[]) {
      if (Array.isArray(item)) throw new WeComConfigError(`buildXml: ${name} holds a list in a list`);
      const built = element(name, item, depth + 1);
      if (built !== undefined) items.push(built);
    }
    return items;
  }
  if (typeof value === 'string') return { [CDATA]: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new WeComConfigError(`buildXml: ${name} is not a finite number`);
    return String(value);
  }
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object') return tree(value as XmlInputObject, depth + 1);
  throw new WeComConfigError(`buildXml: ${name} has an unsupported value type`);
}

/** Names already checked (the element names of WeCom's messages: a few dozen). */
const goodNames = new Set<string>();

function checkName(name: string): string {
  if (goodNames.has(name)) return name;
  if (goodNames.size < 1024 && NAME.test(name)) goodNames.add(name);
  else if (!NAME.test(name)) throw new WeComConfigError(`buildXml: "${name}" is not a valid element name`);
  return name;
}
