/**
 * Safe XML for WeCom payloads: fast-xml-parser with entities off, and any DOCTYPE/ENTITY
 * declaration refused before parsing (no XXE, no billion laughs), under a size cap.
 */
import { XMLParser } from 'fast-xml-parser';
import { WeComCryptoError } from './errors.js';

export const DEFAULT_XML_MAX_BYTES = 64 * 1024;

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  trimValues: true,
  // Keep every element value a string: MsgId exceeds 2^53, AgentID must not lose leading zeros.
  numberParseOptions: { hex: false, leadingZeros: false, skipLike: /./ },
  // No callback here needs the element's path as a string: do not build one per node.
  jPath: false,
} as ConstructorParameters<typeof XMLParser>[0]);

const FORBIDDEN = /<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

export interface ParseXmlOptions {
  /** Refuse documents longer than this many UTF-16 code units (≈ bytes for WeCom's ASCII XML). */
  maxLength?: number;
  /**
   * Check that the document is well-formed before reading it (default true). False only for a
   * plaintext that decrypted under the app's key after its signature matched: WeCom wrote it, and
   * the check would cost as much again as the parse. The DTD refusal and the size cap still apply.
   */
  validate?: boolean;
}

export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [key: string]: XmlValue;
}

/**
 * Parses a WeCom XML document and returns the children of its root `<xml>` element. Text nodes are
 * strings; repeated elements become arrays. Throws `parse_failed` on anything else.
 */
export function parseXml(xml: string, options: ParseXmlOptions = {}): XmlObject {
  const max = options.maxLength ?? DEFAULT_XML_MAX_BYTES;
  if (typeof xml !== 'string' || xml.length === 0)
    throw new WeComCryptoError('parse_failed', 'empty XML body');
  if (xml.length > max) throw new WeComCryptoError('parse_failed', `XML body exceeds ${max} characters`);
  if (FORBIDDEN.test(xml)) throw new WeComCryptoError('parse_failed', 'XML with DTD declarations is refused');
  let doc: unknown;
  try {
    doc = parser.parse(xml, options.validate !== false);
  } catch (cause) {
    throw new WeComCryptoError('parse_failed', 'malformed XML', { cause });
  }
  const root = (doc as Record<string, unknown> | null)?.xml;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw new WeComCryptoError('parse_failed', 'XML has no <xml> root element');
  }
  return root as XmlObject;
}

/** Reads a direct child as a string, or undefined. */
export function xmlText(node: XmlObject, name: string): string | undefined {
  const value = node[name];
  return typeof value === 'string' ? value : undefined;
}

/** Wraps text in CDATA, splitting any `]]>` so the section cannot be closed early. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}
