/** Renders plain objects as WeCom message XML (`<xml><ToUserName><![CDATA[…]]></ToUserName>…</xml>`). */
import { buildXml, WeComConfigError, type XmlInput, type XmlInputObject } from '@maven/wecom-crypto';

/** A value of a WeCom XML element: text (CDATA), a number (bare), nested elements, or repeats. */
export type AppXmlValue = XmlInput;
export type AppXmlObject = XmlInputObject;

/**
 * Strings become CDATA, numbers/bigints/booleans bare text, objects nested elements, arrays repeated
 * elements of the same name; `null`/`undefined` are skipped. Key order is kept. The same builder
 * the router's passive replies use.
 */
export function toAppMessageXml(message: AppXmlObject): string {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    throw new WeComConfigError('toAppMessageXml: message must be a plain object');
  }
  return buildXml(message);
}
