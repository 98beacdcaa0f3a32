/** Drives a self-built-app callback URL the way WeCom does (XML envelopes, receiveId = CorpID). */

import { checkKeys, requireString } from '@maven/wecom-core';
import { WeComConfigError } from '@maven/wecom-crypto';
import { type AppEventOptions, appEvent, appText } from '../app-messages.js';
import type { AppXmlObject } from '../app-xml.js';
import { buildAppCallback, buildAppVerification } from '../builders.js';
import { createCodec } from '../codec.js';
import { type AppReply, decryptAppReply } from '../replies.js';
import {
  type DeliveryAttempt,
  type DeliveryOptions,
  deliver,
  type VerifyResult,
  verifyUrl,
} from './delivery.js';

export interface AppDriverOptions {
  /** Informational label. */
  name?: string;
  corpId: string;
  agentId: number | string;
  token: string;
  encodingAESKey: string;
  /** Sender of messages given as plain text. Default `zhangsan`. */
  from?: string;
  /** Timeout of a URL-verification GET. Default 1000. */
  verifyTimeoutMs?: number;
}

export interface AppSendOptions extends DeliveryOptions {
  /** Throw when a reply cannot be verified/decrypted (default true). */
  strictReply?: boolean;
}

export interface AppSendResult {
  status: number;
  body: string;
  /** The decrypted passive reply, or null for an empty body / `success` / no answer. */
  reply: AppReply | null;
  replyError?: Error;
  deliveries: number;
  attempts: DeliveryAttempt[];
  /** The decrypted XML that was delivered. */
  plaintext: string;
}

const KEYS = ['name', 'corpId', 'agentId', 'token', 'encodingAESKey', 'from', 'verifyTimeoutMs'] as const;

export class AppDriver {
  readonly name: string | undefined;
  readonly corpId: string;
  readonly agentId: number;
  readonly #token: string;
  readonly #key: string;
  readonly #from: string;
  readonly #verifyTimeoutMs: number;

  constructor(options: AppDriverOptions) {
    checkKeys('sim.app', options, KEYS);
    this.name = options.name;
    this.corpId = requireString('sim.app', 'corpId', options.corpId);
    this.agentId = Number(options.agentId);
    if (!Number.isSafeInteger(this.agentId))
      throw new WeComConfigError('sim.app: agentId must be an integer');
    this.#token = requireString('sim.app', 'token', options.token);
    createCodec({ token: this.#token, encodingAESKey: options.encodingAESKey, receiveId: this.corpId });
    this.#key = options.encodingAESKey;
    this.#from = options.from ?? 'zhangsan';
    this.#verifyTimeoutMs = options.verifyTimeoutMs ?? 1000;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      corpId: this.corpId,
      agentId: this.agentId,
      token: '[redacted]',
      encodingAESKey: '[redacted]',
    };
  }

  async verify(url: string, options: { echo?: string } = {}): Promise<VerifyResult> {
    const req = buildAppVerification({
      token: this.#token,
      encodingAESKey: this.#key,
      corpId: this.corpId,
      ...(options.echo === undefined ? {} : { echo: options.echo }),
    });
    return verifyUrl(url, req, this.#verifyTimeoutMs);
  }

  /**
   * Sends a message: an XML object (see the `app*` factories), raw XML (starting with `<xml`), or
   * plain text for an `appText` from `from`.
   */
  async send(
    url: string,
    message: AppXmlObject | string,
    options: AppSendOptions = {},
  ): Promise<AppSendResult> {
    checkKeys('send', options, ['redeliver', 'redeliverAfterMs', 'maxDeliveries', 'strictReply']);
    const msg: AppXmlObject | string =
      typeof message === 'string' && !message.trimStart().startsWith('<')
        ? appText({ content: message, from: this.#from, corpId: this.corpId, agentId: this.agentId })
        : message;
    let plaintext = '';
    const outcome = await deliver(
      url,
      () => {
        const built = buildAppCallback({
          token: this.#token,
          encodingAESKey: this.#key,
          corpId: this.corpId,
          agentId: this.agentId,
          message: msg,
        });
        plaintext = built.plaintext;
        return { search: built.search, body: built.body, nonce: built.nonce };
      },
      'text/xml',
      options,
      true,
    );
    const result: AppSendResult = {
      status: outcome.response?.status ?? 0,
      body: outcome.response?.text ?? '',
      reply: null,
      deliveries: outcome.deliveries,
      attempts: outcome.attempts,
      plaintext,
    };
    if (result.status === 200) {
      try {
        result.reply = decryptAppReply(result.body, {
          token: this.#token,
          encodingAESKey: this.#key,
          corpId: this.corpId,
        });
      } catch (error) {
        if (options.strictReply !== false) throw error;
        result.replyError = error as Error;
      }
    }
    return result;
  }

  /** An event, e.g. `event(url, 'enter_agent')` or `event(url, 'click', { EventKey: 'k' })`. */
  event(
    url: string,
    event: string,
    fields: Omit<AppEventOptions, 'from' | 'corpId' | 'agentId'> & { from?: string } = {},
    options: AppSendOptions = {},
  ): Promise<AppSendResult> {
    const { from, ...rest } = fields;
    return this.send(
      url,
      appEvent(event, { ...rest, from: from ?? this.#from, corpId: this.corpId, agentId: this.agentId }),
      options,
    );
  }
}
