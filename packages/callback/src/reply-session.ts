/**
 * The context of one dispatched callback and its reply state: the first reply within the deadline
 * is kept for the HTTP response (passive); once the router has answered, replies go out actively
 * through the app that received the callback (its token, its agentid).
 */
import { type InboundExchange, type PassiveChoice, WeComConfigError, WeComError } from '@maven/wecom-core';
import type { AppInfo } from './app-config.js';
import type { AppCallback } from './callback-types.js';
import { WeComTargetError } from './errors.js';
import { activeEquivalent, fitsPassive, type PassiveReply, toPassiveReply } from './passive-reply.js';
import type { CallbackContext, ReplyDeliveredInfo, ReplyFailedInfo, ReplyOutcome } from './router-events.js';
import type { WeComApi } from './wecom-api.js';

export interface ReplySessionOptions<C extends AppCallback> {
  app: AppInfo;
  callback: C;
  api: WeComApi | undefined;
  /** Keeps background sends alive and drained on close. */
  track: <T>(task: Promise<T>) => Promise<T>;
  delivered: (info: ReplyDeliveredInfo) => void;
  failed: (info: ReplyFailedInfo) => void;
  /** One abort handle per active send, so the router can stop what is left when it closes. */
  abortable: () => { signal: AbortSignal; done: () => void };
}

/** A passive reply and the user it answers (the XML's ToUserName). */
export interface PassiveAnswer {
  reply: PassiveReply;
  toUser: string;
}

export class ReplySession<C extends AppCallback = AppCallback>
  implements CallbackContext<C>, InboundExchange<PassiveAnswer, CallbackContext<C>>
{
  readonly app: AppInfo;
  readonly callback: C;
  readonly userId: string;
  readonly chatId: string;
  readonly api: WeComApi | undefined;
  readonly #options: ReplySessionOptions<C>;
  #state: 'open' | 'passive' | 'answered' = 'open';
  #passive: PassiveReply | undefined;
  #decided: Promise<void> | undefined;
  #decide: (() => void) | undefined;

  constructor(options: ReplySessionOptions<C>) {
    this.#options = options;
    this.app = options.app;
    this.callback = options.callback;
    this.api = options.api;
    this.userId = options.callback.userId;
    this.chatId = `${options.app.corpId}:${options.app.agentId}:${this.userId}`;
  }

  /**
   * Resolves when the router should answer now (a passive reply was given, or an active one
   * started). Made on first use: a listener that replies at once never needs it.
   */
  get decided(): Promise<void> {
    this.#decided ??=
      this.#state === 'open'
        ? new Promise<void>((resolve) => {
            this.#decide = resolve;
          })
        : Promise.resolve();
    return this.#decided;
  }

  get passiveOpen(): boolean {
    return this.#state === 'open';
  }

  get decidedNow(): boolean {
    return this.#state !== 'open';
  }

  /** The listeners' context is the session itself. */
  get context(): CallbackContext<C> {
    return this;
  }

  reply(value: string | PassiveReply): Promise<ReplyOutcome> {
    let reply: PassiveReply;
    try {
      reply = toPassiveReply(value);
      if (this.userId === 'sys') {
        throw new WeComTargetError(
          'no_reply_target',
          'system callbacks (FromUserName "sys") cannot be replied to',
        );
      }
    } catch (error) {
      this.#options.failed({
        app: this.app.name,
        chatId: this.chatId,
        channel: 'passive',
        kind: 'invalid',
        error,
      });
      return handled(Promise.reject(error));
    }
    if (this.#state === 'open' && fitsPassive(reply)) {
      this.#state = 'passive';
      this.#passive = reply;
      this.#decide?.();
      return Promise.resolve({ channel: 'passive' });
    }
    // Answer the callback now (empty) and send this reply, and every later one, actively.
    this.#state = 'answered';
    this.#decide?.();
    return handled(this.#options.track(this.#sendActive(reply)));
  }

  /** Called as the callback is answered: the passive reply, if any. Every later reply is active. */
  close(): PassiveChoice<PassiveAnswer> | undefined {
    const reply = this.#passive;
    this.#passive = undefined;
    this.#state = 'answered';
    if (reply === undefined) return undefined;
    const base = { app: this.app.name, chatId: this.chatId, channel: 'passive' as const, kind: reply.type };
    return {
      reply: { reply, toUser: this.userId },
      delivered: () => this.#options.delivered({ ...base, sentMsgIds: [] }),
      failed: (error) => this.#options.failed({ ...base, error }),
    };
  }

  async #sendActive(reply: PassiveReply): Promise<ReplyOutcome> {
    const base = { app: this.app.name, chatId: this.chatId, channel: 'api' as const, kind: reply.type };
    const { signal, done } = this.#options.abortable();
    try {
      if (signal.aborted) throw signal.reason;
      const api = this.api;
      if (api === undefined) {
        throw new WeComConfigError(`app "${this.app.name}" has no corpSecret: it cannot send active replies`);
      }
      let sentMsgIds: string[] = [];
      const message = activeEquivalent(reply);
      if (message !== undefined) {
        sentMsgIds = (await api.send({ touser: this.userId, message, signal })).msgids;
      } else {
        const cb = this.callback;
        const code = cb.kind === 'event' && 'responseCode' in cb ? cb.responseCode : '';
        if (code === '') {
          throw new WeComTargetError(
            'no_reply_target',
            `${reply.type} needs a template card callback with a ResponseCode`,
          );
        }
        await api.updateTemplateCard(
          {
            response_code: code,
            userids: [this.userId],
            ...(reply.type === 'update_button'
              ? { button: { replace_name: reply.replaceName } }
              : reply.type === 'update_template_card'
                ? { template_card: reply.templateCard }
                : {}),
          },
          { signal },
        );
      }
      this.#options.delivered({ ...base, sentMsgIds });
      return { channel: 'api', sentMsgIds };
    } catch (caught) {
      const error = signal.aborted
        ? new WeComError(
            'closed',
            'the router closed before this reply was sent (it may have reached WeCom)',
            {
              cause: caught,
              status: 503,
            },
          )
        : caught;
      this.#options.failed({ ...base, error });
      throw error;
    } finally {
      done();
    }
  }
}

/** Marks a promise as handled (failures are reported as `reply.failed`) while keeping it awaitable. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}
