// Exports common to every entry point.
export { base64Decode, base64Encode } from './base64.js';
export {
  compareCodePoints,
  timingSafeEqualBytes,
  timingSafeEqualString,
  utf8Decode,
  utf8Encode,
} from './bytes.js';
export {
  BLOCK,
  buildFrame,
  decodeEncodingAESKey,
  isEncodingAESKey,
  type ParsedFrame,
  parseFrame,
  pkcs7Pad,
  pkcs7Unpad,
  signatureBase,
} from './codec.js';
export type {
  CallbackParams,
  DecryptedCallback,
  DecryptedMessage,
  ReplyOptions,
  SignatureParams,
  UrlVerificationParams,
} from './codec-base.js';
export {
  buildJsonEnvelope,
  buildXmlEnvelope,
  type EnvelopeFormat,
  type InboundEnvelope,
  type OutboundEnvelope,
  parseJsonEnvelope,
  parseXmlEnvelope,
} from './envelope.js';
export {
  CRYPTO_ERROR_CODES,
  type CryptoErrorCode,
  isWeComError,
  WeComConfigError,
  WeComCryptoError,
  WeComError,
  type WeComErrorOptions,
} from './errors.js';
export type { JsSdkSignatureParams } from './jssdk.js';
export { encryptMedia } from './media.js';
export type { WeComCryptoOptions } from './options.js';
export type {
  AesContext,
  CryptoProvider,
  MaybePromise,
  SyncAesContext,
  SyncCryptoProvider,
} from './provider.js';
export { webProvider } from './provider-web.js';
export {
  cdata,
  type ParseXmlOptions,
  parseXml,
  type XmlObject,
  type XmlValue,
  xmlText,
} from './xml.js';
export { buildXml, type XmlInput, type XmlInputObject } from './xml-build.js';
