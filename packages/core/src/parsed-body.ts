/**
 * A callback whose body a framework's parser already read. The signature covers only the
 * encrypted field (`encrypt` / `Encrypt`), never the raw body, so an envelope rebuilt from a parsed
 * body verifies exactly as the original would; what a parser cannot give back is refused with
 * advice on how to mount the SDK.
 */

/** Where the SDK is mounted, for the advice when the raw body is gone. */
export type Framework = 'express' | 'koa' | 'fastify' | 'node';

const ADVICE: Record<Framework, string> = {
  express:
    'mount wecomExpress(handler) before express.json()/express.text()/express.urlencoded(), or keep the raw body: express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })',
  koa: 'mount wecomKoa(handler) before the body parser, or use @koa/bodyparser (it keeps ctx.request.rawBody)',
  fastify: 'register wecomFastify(handler) on its own route; it reads the raw body itself',
  node: 'pass the untouched request (or keep the raw body on req.rawBody) to serveNode()',
};

/** The message of `body_already_parsed`: what went wrong and how to mount the SDK instead. */
export function bodyParsedAdvice(framework: Framework): string {
  return `a body parser consumed the request body and left no usable envelope; ${ADVICE[framework]}`;
}

const BASE64 = /^[A-Za-z0-9+/=]{1,}$/;
const PLAIN = /^[A-Za-z0-9_.@-]{1,128}$/;

function field(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  // XML parsers that collect repeated elements give one-element arrays (express-xml-bodyparser).
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  return undefined;
}

function pick(object: Record<string, unknown>, name: string): string | undefined {
  return field(object[name]) ?? field(object[name.toLowerCase()]);
}

/**
 * The envelope text of a parsed body: `{ encrypt }` (JSON, the AI bot) or an XML object with
 * `Encrypt` (at its root or under `xml`, the apps). Undefined when the body carries neither as a
 * base64 string.
 */
export function envelopeOfParsedBody(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const root = body as Record<string, unknown>;
  const json = root.encrypt;
  if (typeof json === 'string' && BASE64.test(json) && root.Encrypt === undefined && root.xml === undefined)
    return JSON.stringify({ encrypt: json });
  const xml = (root.xml !== null && typeof root.xml === 'object' ? root.xml : root) as Record<
    string,
    unknown
  >;
  const encrypt = pick(xml, 'Encrypt');
  if (encrypt === undefined || !BASE64.test(encrypt)) return undefined;
  // ToUserName and AgentID are routing hints, outside the signature: kept only when plainly safe.
  const to = pick(xml, 'ToUserName');
  const agent = pick(xml, 'AgentID');
  return `<xml>${to && PLAIN.test(to) ? `<ToUserName><![CDATA[${to}]]></ToUserName>` : ''}${
    agent && /^\d{1,10}$/.test(agent) ? `<AgentID><![CDATA[${agent}]]></AgentID>` : ''
  }<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
}
