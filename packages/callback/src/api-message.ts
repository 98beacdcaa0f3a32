/**
 * message/send (split long text, typed outcome: invaliduser, invalidparty, invalidtag,
 * unlicenseduser, response_code) and message/update_template_card (every card type).
 */
import {
  type ApiResult,
  checkKeys,
  optionalNumber,
  requireString,
  splitUtf8,
  utf8Length,
} from '@maven/wecom-core';
import { type ApiCore, splitIds as split } from './api-core.js';
import { WeComMessageError } from './errors.js';
import { checkOutboundMessage, checkTemplateCard, Message, TEXT_LIMIT_BYTES } from './outbound-message.js';
import type {
  Departments,
  Recipients,
  SendOptions,
  SendResult,
  UpdateTemplateCardOptions,
  UpdateTemplateCardResult,
} from './wecom-api-types.js';

const SEND_KEYS = [
  'message',
  'touser',
  'toparty',
  'totag',
  'safe',
  'enable_id_trans',
  'enable_duplicate_check',
  'duplicate_check_interval',
  'split',
  'signal',
] as const;

function ids(where: string, value: Recipients | Departments | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]).map((v) => String(v).trim());
  if (list.some((v) => v.length === 0 || v.includes('|'))) {
    throw new WeComMessageError(`${where}: ids must be non-empty and must not contain '|'`);
  }
  if (list.length > max) throw new WeComMessageError(`${where}: at most ${max} ids per message`);
  return list.length === 0 ? undefined : list.join('|');
}

const flag = (value: boolean | undefined): 0 | 1 | undefined =>
  value === undefined ? undefined : value ? 1 : 0;

/** message/send. Long text is split into several messages unless `split: false`. */
export async function sendMessage(core: ApiCore, options: SendOptions): Promise<SendResult> {
  checkKeys('send', options, SEND_KEYS);
  checkOutboundMessage(options.message);
  const touser = ids('touser', options.touser, 1000);
  const toparty = ids('toparty', options.toparty, 100);
  const totag = ids('totag', options.totag, 100);
  if (touser === undefined && toparty === undefined && totag === undefined) {
    throw new WeComMessageError('send: give touser, toparty or totag');
  }
  const interval = options.duplicate_check_interval;
  if (interval !== undefined) {
    optionalNumber('send', 'duplicate_check_interval', interval, 1800, {
      min: 1,
      max: 14_400,
      integer: true,
    });
  }
  const common: Record<string, unknown> = { touser, toparty, totag, agentid: core.agentId };
  const extras: Record<string, unknown> = {
    safe: flag(options.safe),
    enable_id_trans: flag(options.enable_id_trans),
    enable_duplicate_check: flag(options.enable_duplicate_check),
    duplicate_check_interval: interval,
  };
  const message = options.message;
  const parts =
    message.msgtype === 'text' &&
    options.split !== false &&
    utf8Length(message.text.content) > TEXT_LIMIT_BYTES
      ? splitUtf8(message.text.content, TEXT_LIMIT_BYTES).map((content) => Message.text(content))
      : [message];
  const results: ApiResult[] = [];
  for (const part of parts) {
    const body = {
      ...common,
      msgtype: part.msgtype,
      [part.msgtype]: part[part.msgtype as keyof typeof part],
    };
    for (const [k, v] of Object.entries(extras)) if (v !== undefined) body[k] = v;
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    results.push(
      await core.call('/cgi-bin/message/send', {
        method: 'POST',
        json: body,
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
  }
  return combine(results);
}

/** message/update_template_card: a response_code can be used once, within 72 h. */
export async function updateTemplateCard(
  core: ApiCore,
  options: UpdateTemplateCardOptions,
  call: { signal?: AbortSignal } = {},
): Promise<UpdateTemplateCardResult> {
  checkKeys('updateTemplateCard', options, [
    'response_code',
    'userids',
    'partyids',
    'tagids',
    'atall',
    'enable_id_trans',
    'button',
    'template_card',
  ]);
  requireString('updateTemplateCard', 'response_code', options.response_code);
  if ((options.button === undefined) === (options.template_card === undefined)) {
    throw new WeComMessageError('updateTemplateCard: give exactly one of button or template_card');
  }
  if (options.button !== undefined)
    requireString('updateTemplateCard', 'button.replace_name', options.button.replace_name);
  if (options.template_card !== undefined) checkTemplateCard(options.template_card);
  const body: Record<string, unknown> = { agentid: core.agentId, response_code: options.response_code };
  if (options.userids !== undefined) body.userids = [...options.userids];
  if (options.partyids !== undefined) body.partyids = [...options.partyids];
  if (options.tagids !== undefined) body.tagids = [...options.tagids];
  if (options.atall !== undefined) body.atall = flag(options.atall);
  if (options.enable_id_trans !== undefined) body.enable_id_trans = flag(options.enable_id_trans);
  if (options.button !== undefined) body.button = { replace_name: options.button.replace_name };
  if (options.template_card !== undefined) body.template_card = options.template_card;
  const result = await core.call('/cgi-bin/message/update_template_card', {
    method: 'POST',
    json: body,
    ...(call.signal ? { signal: call.signal } : {}),
  });
  return {
    invaliduser: split(result.invaliduser),
    invalidparty: split(result.invalidparty),
    invalidtag: split(result.invalidtag),
  };
}

function combine(results: ApiResult[]): SendResult {
  const msgids = results.map((r) => String(r.msgid ?? '')).filter((m) => m.length > 0);
  const union = (field: string) => [...new Set(results.flatMap((r) => split(r[field])))];
  const out: SendResult = {
    msgid: msgids[0] ?? '',
    msgids,
    invaliduser: union('invaliduser'),
    invalidparty: union('invalidparty'),
    invalidtag: union('invalidtag'),
    unlicenseduser: union('unlicenseduser'),
  };
  const code = results.find(
    (r) => typeof r.response_code === 'string' && r.response_code.length > 0,
  )?.response_code;
  if (typeof code === 'string') out.response_code = code;
  return out;
}
