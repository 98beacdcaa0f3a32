/**
 * Which app a POST callback belongs to. The signature is computed for every candidate (never
 * "first match wins"); one match routes; several are narrowed by the decrypted ToUserName (corp)
 * and AgentID; zero is 401 and a remaining tie is refused (400 ambiguous_app). One app's failure
 * never stops the others from being tried.
 */
import { isWeComError, type Logger, WeComRequestError } from '@maven/wecom-core';
import { type InboundEnvelope, parseXml, type XmlObject, xmlText } from '@maven/wecom-crypto';
import type { ResolvedApp } from './app-config.js';

export interface SignedQuery {
  signature: string;
  timestamp: string;
  nonce: string;
}

export interface RoutedCallback {
  app: ResolvedApp;
  /** The decrypted plaintext XML. */
  plaintext: string;
  /** Its parsed root element. */
  xml: XmlObject;
}

function isCrypto(error: unknown, code: string): boolean {
  return isWeComError(error) && error.code === code;
}

/** True when the decrypted message names this app (corp always; agent when the message has one). */
function addressedTo(app: ResolvedApp, xml: XmlObject, envelope: InboundEnvelope): boolean {
  const corp = xmlText(xml, 'ToUserName');
  if (corp !== undefined && corp !== app.info.corpId) return false;
  // Contact and batch-job events carry no AgentID in the plaintext: fall back to the envelope's.
  const agent = (xmlText(xml, 'AgentID') ?? '').trim() || (envelope.agentId ?? '').trim();
  return agent === '' || agent === String(app.info.agentId);
}

export async function routeCallback(
  candidates: readonly ResolvedApp[],
  query: SignedQuery,
  envelope: InboundEnvelope,
  options: { maxXmlLength: number; logger: Logger },
): Promise<RoutedCallback> {
  const matched: ResolvedApp[] = [];
  let stale: unknown;
  for (const app of candidates) {
    try {
      await app.crypto.verifySignature({ ...query, encrypt: envelope.encrypt });
      matched.push(app);
    } catch (error) {
      // The signature matched but the timestamp is outside the window: remember, keep looking.
      if (isCrypto(error, 'timestamp_out_of_window')) stale ??= error;
      else if (!isCrypto(error, 'signature_mismatch')) {
        options.logger.warn('signature check failed unexpectedly for one app', { app: app.info.name, error });
      }
    }
  }
  if (matched.length === 0) {
    if (stale !== undefined) throw stale;
    throw new WeComRequestError('no_matching_app', 'no configured app matches the signature');
  }
  const opened: RoutedCallback[] = [];
  let failure: unknown;
  for (const app of matched) {
    try {
      const { message } = await app.crypto.decrypt(envelope.encrypt);
      opened.push({ app, plaintext: message, xml: parseXml(message, { maxLength: options.maxXmlLength }) });
    } catch (error) {
      failure ??= error;
    }
  }
  if (opened.length === 0) throw failure;
  const addressed = opened.filter((o) => addressedTo(o.app, o.xml, envelope));
  if (addressed.length === 1) return addressed[0]!;
  if (addressed.length === 0) {
    options.logger.warn('signed callback is addressed to another corp or agent than the matching apps', {
      apps: opened.map((o) => o.app.info.name),
    });
    throw new WeComRequestError(
      'no_matching_app',
      'the callback is not addressed to the app whose signature matched',
    );
  }
  const names = addressed.map((o) => o.app.info.name);
  options.logger.warn('callback matches several apps; refused', { apps: names });
  throw new WeComRequestError('ambiguous_app', `the callback matches several apps: ${names.join(', ')}`);
}
