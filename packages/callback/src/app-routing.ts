/**
 * Which app a POST callback belongs to. Every candidate's signature counts (never "first match
 * wins"); one match routes; several are narrowed by the decrypted ToUserName (corp) and AgentID;
 * zero is 401 and a remaining tie is refused (400 ambiguous_app). One app's failure never stops the
 * others from being tried.
 *
 * The signature depends only on the token, so apps are grouped by token and each group is hashed
 * once, compared in constant time without throwing. The group of the app the envelope names in
 * clear (ToUserName, AgentID) is tried first: when it matches, no other group can match (that
 * would take a SHA-1 collision), so a valid callback costs one hash however many apps there are.
 */
import { isWeComError, type Logger, WeComRequestError } from '@maven/wecom-core';
import {
  type InboundEnvelope,
  parseXml,
  timingSafeEqualString,
  type XmlObject,
  xmlText,
} from '@maven/wecom-crypto';
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

interface Groups {
  /** Candidates grouped by token, in configuration order. */
  all: ResolvedApp[][];
  /** `corpId` and `corpId:agentId` → the group holding that app (a hint only: unsigned). */
  byAddress: Map<string, ResolvedApp[]>;
}

/** Computed once per candidate list (the router's lists are stable). */
const groupsOf = new WeakMap<readonly ResolvedApp[], Groups>();

function tokenGroups(candidates: readonly ResolvedApp[]): Groups {
  let groups = groupsOf.get(candidates);
  if (!groups) {
    const byToken = new Map<string, ResolvedApp[]>();
    const byAddress = new Map<string, ResolvedApp[]>();
    for (const app of candidates) {
      let group = byToken.get(app.token);
      if (group) group.push(app);
      else {
        group = [app];
        byToken.set(app.token, group);
      }
      byAddress.set(`${app.info.corpId}:${app.info.agentId}`, group);
      if (!byAddress.has(app.info.corpId)) byAddress.set(app.info.corpId, group);
    }
    groups = { all: [...byToken.values()], byAddress };
    groupsOf.set(candidates, groups);
  }
  return groups;
}

/** The group of the app the envelope names in clear text first (the likely match), then the rest. */
function hintedFirst(groups: Groups, envelope: InboundEnvelope): ResolvedApp[][] {
  const corp = envelope.toUserName;
  if (corp === undefined || groups.all.length < 2) return groups.all;
  const agent = (envelope.agentId ?? '').trim();
  const hinted = groups.byAddress.get(agent === '' ? corp : `${corp}:${agent}`);
  return hinted === undefined || hinted === groups.all[0]
    ? groups.all
    : [hinted, ...groups.all.filter((g) => g !== hinted)];
}

export async function routeCallback(
  candidates: readonly ResolvedApp[],
  query: SignedQuery,
  envelope: InboundEnvelope,
  options: { maxXmlLength: number; logger: Logger },
): Promise<RoutedCallback> {
  const matched: ResolvedApp[] = [];
  let stale: unknown;
  for (const group of hintedFirst(tokenGroups(candidates), envelope)) {
    const first = group[0]!;
    try {
      const expected = await first.crypto.signature(query.timestamp, query.nonce, envelope.encrypt);
      if (!timingSafeEqualString(expected, query.signature)) continue;
      // Now the timestamp window (it throws when stale).
      first.crypto.checkTimestamp(query.timestamp);
      matched.push(...group);
      break;
    } catch (error) {
      if (isCrypto(error, 'timestamp_out_of_window')) stale ??= error;
      else
        options.logger.warn('signature check failed unexpectedly for one app', {
          app: first.info.name,
          error,
        });
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
      // Authenticated (its signature matched and it decrypted under the app's key): no well-formedness pass.
      const xml = parseXml(message, { maxLength: options.maxXmlLength, validate: false });
      opened.push({ app, plaintext: message, xml });
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
