/**
 * The per-callback context. It chooses how each reply travels, so callers never keep bookkeeping:
 * while the callback's HTTP response is still open and nothing else took it, a reply goes in it
 * (passive, encrypted); afterwards it goes to this message's own response_url (single use). What
 * WeCom allows differs by callback: messages take stream / template_card passively, enter_chat
 * takes a welcome text or card, a card click takes a card update, feedback takes nothing.
 */
import type { InboundExchange, PassiveChoice, TaskTracker } from '@maven/wecom-core';
import type { BotContext, ReplyOptions, StreamOptions } from './context-types.js';
import { createContext, passiveKindsOf } from './context-view.js';
import type { DeliveryResult, ReplyDelivered, ReplyKind } from './delivery.js';
import { WeComBotError } from './errors.js';
import { randomId } from './ids.js';
import type { MediaFile, MediaSource } from './media.js';
import type { MediaStream, MediaStreamOptions } from './media-stream.js';
import type { OutboxMeta, ResponseUrlOutbox, ResponseUrlPayload } from './outbox.js';
import { checkCard, checkFeedbackId, fitContent, type PassiveBody, streamFrame } from './payloads.js';
import { type StreamWriter, StreamWriterImpl, type StreamWriterOptions } from './stream.js';
import type { BotCallback, TemplateCard, UnknownMessage, UserMessage } from './types.js';

export interface ExchangeServices {
  outbox: ResponseUrlOutbox;
  tasks: TaskTracker;
  marker: string | undefined;
  report: (result: DeliveryResult) => Promise<void>;
  download: (source: MediaSource) => Promise<MediaFile>;
  downloadStream: (source: MediaSource, call?: MediaStreamOptions) => Promise<MediaStream>;
  /** Builds writer options for this message (store, window, clock, hand-over). */
  writerOptions: (base: Pick<StreamWriterOptions, 'id' | 'passive'>) => Omit<StreamWriterOptions, 'handOver'>;
  /** Records msgId → stream id so a re-delivered message gets the same stream. */
  rememberStream: (streamId: string) => Promise<void>;
  /** The long connection: replies after the passive slot go by the callback's req_id (ws/bot-channel.ts). */
  late?: ((payload: ResponseUrlPayload, meta: OutboxMeta) => Promise<DeliveryResult>) | undefined;
}

interface Choice {
  kind: ReplyKind;
  body?: PassiveBody;
  writer?: StreamWriterImpl;
  feedbackId?: string | undefined;
  card?: TemplateCard | undefined;
  truncated?: boolean;
}

/** The internal side of one callback: the passive slot, its deadline, and the public context. */
export class Exchange implements InboundExchange<PassiveBody, BotContext> {
  readonly context: BotContext;
  readonly message: BotCallback;
  readonly receivedAt: number;
  readonly #s: ExchangeServices;
  readonly #waitUntil: ((promise: Promise<unknown>) => void) | undefined;
  readonly #kinds: ReadonlySet<ReplyKind>;
  #decided: Promise<void> | undefined;
  #resolveChosen: (() => void) | undefined;
  #open = true;
  #choice: Choice | undefined;
  #writer: StreamWriterImpl | undefined;

  constructor(options: {
    message: BotCallback;
    receivedAt: number;
    services: ExchangeServices;
    waitUntil?: ((promise: Promise<unknown>) => void) | undefined;
  }) {
    this.message = options.message;
    this.receivedAt = options.receivedAt;
    this.#s = options.services;
    this.#waitUntil = options.waitUntil;
    this.#kinds = passiveKindsOf(options.message);
    this.context = createContext(this);
  }

  /** Resolves when a passive reply was chosen (made on first use: a reply at once needs none). */
  get decided(): Promise<void> {
    this.#decided ??= this.#choice
      ? Promise.resolve()
      : new Promise((resolve) => {
          this.#resolveChosen = resolve;
        });
    return this.#decided;
  }

  get writer(): StreamWriterImpl | undefined {
    return this.#writer;
  }

  get passiveOpen(): boolean {
    return this.#open && this.#choice === undefined;
  }

  /** A final passive body was chosen (a stream keeps the race: it may finish in the next ticks). */
  get decidedNow(): boolean {
    return this.#choice !== undefined && this.#choice.writer === undefined;
  }

  #canPassive(kind: ReplyKind): boolean {
    return this.passiveOpen && this.#kinds.has(kind);
  }

  #choose(choice: Choice): void {
    this.#choice = choice;
    this.#resolveChosen?.();
  }

  #meta(kind: ReplyKind, extra: Partial<ReplyDelivered> = {}) {
    const m = this.message;
    return { kind, ...(m.msgId ? { msgId: m.msgId } : {}), chatId: m.chatId, ...extra };
  }

  #passiveResult(kind: ReplyKind, extra: Partial<ReplyDelivered> = {}): Promise<DeliveryResult> {
    return Promise.resolve({ ok: true, channel: 'passive', ...this.#meta(kind, extra) });
  }

  async #refuse(
    kind: ReplyKind,
    reason: 'deadline_passed' | 'unsupported',
    message: string,
  ): Promise<DeliveryResult> {
    const code = reason === 'deadline_passed' ? 'deadline_passed' : 'reply_unsupported';
    const error = new WeComBotError(code, message);
    const result: DeliveryResult = { ok: false, channel: 'passive', ...this.#meta(kind), reason, error };
    await this.#s.report(result);
    return result;
  }

  /** Closes the passive slot; returns the body for the HTTP response, if a reply was chosen. */
  async close(): Promise<PassiveChoice<PassiveBody> | undefined> {
    this.#open = false;
    const choice = this.#choice;
    if (!choice) return undefined;
    if (choice.writer) {
      await choice.writer.flush();
      const state = choice.writer.persisted;
      const body = streamFrame(state, { feedbackId: choice.feedbackId, card: choice.card });
      const delivered: ReplyDelivered = {
        ok: true,
        channel: 'passive',
        ...this.#meta(choice.kind, { streamId: state.id, finish: state.finish }),
        ...(state.truncated ? { truncated: true } : {}),
      };
      return this.#passive(body, delivered);
    }
    const extra: Partial<ReplyDelivered> = choice.truncated ? { truncated: true } : {};
    if (choice.kind === 'stream') extra.finish = true;
    return this.#passive(choice.body!, { ok: true, channel: 'passive', ...this.#meta(choice.kind, extra) });
  }

  #passive(body: PassiveBody, delivered: ReplyDelivered): PassiveChoice<PassiveBody> {
    return {
      reply: body,
      delivered: () => this.#s.report(delivered),
      failed: (cause) =>
        this.#s.report({
          ...delivered,
          ok: false,
          reason: 'unknown_outcome',
          error: new WeComBotError(
            'passive_reply_failed',
            'the passive reply could not be sent (encryption or the connection failed)',
            {
              cause,
            },
          ),
        }),
    };
  }

  waitUntil(promise: Promise<unknown>): void {
    void this.#s.tasks.run(promise, this.#waitUntil).catch(() => {});
  }

  #send(payload: ResponseUrlPayload, meta: OutboxMeta): Promise<DeliveryResult> {
    if (this.#s.late) return this.#s.late(payload, meta);
    const m = this.message;
    const target = { ...(m.msgId ? { msgId: m.msgId } : {}), chatId: m.chatId };
    if (!m.response_url) {
      const error = new WeComBotError(
        'unknown_reply_target',
        `this ${m.type} callback carries no response_url`,
      );
      return this.#s.outbox.fail(target, meta, 'no_target', error);
    }
    return this.#s.outbox.send({ url: m.response_url, ...target }, payload, meta, this.#waitUntil);
  }

  sendMarkdown(markdown: string, feedbackId?: string, streamId?: string): Promise<DeliveryResult> {
    const fit = fitContent(markdown, this.#s.marker);
    const payload: ResponseUrlPayload = {
      msgtype: 'markdown',
      markdown: { content: fit.text, ...(feedbackId ? { feedback: { id: feedbackId } } : {}) },
    };
    const kind: ReplyKind = streamId ? 'stream' : 'markdown';
    return this.#send(payload, {
      kind,
      ...(fit.truncated ? { truncated: true } : {}),
      ...(streamId ? { streamId } : {}),
    });
  }

  reply(markdown: string, options: ReplyOptions = {}): Promise<DeliveryResult> {
    if (typeof markdown !== 'string')
      throw new WeComBotError('invalid_reply', 'reply takes a markdown string');
    const feedbackId = checkFeedbackId(options.feedbackId);
    if (this.#canPassive('stream')) {
      // markdown is not a passive type: the instant reply is a stream frame that is already finished.
      const fit = fitContent(markdown, this.#s.marker);
      const id = randomId();
      const body = streamFrame(
        {
          v: 1,
          id,
          aibotid: this.message.aibotid,
          msgId: this.message.msgId,
          chatId: this.message.chatId,
          content: fit.text,
          finish: true,
          truncated: fit.truncated,
          images: [],
          startedAt: this.receivedAt,
        },
        { feedbackId },
      );
      this.#choose({ kind: 'stream', body, truncated: fit.truncated });
      return this.#passiveResult('stream', {
        streamId: id,
        finish: true,
        ...(fit.truncated ? { truncated: true } : {}),
      });
    }
    return this.sendMarkdown(markdown, feedbackId);
  }

  stream(options: StreamOptions = {}): StreamWriter {
    if (this.#writer) return this.#writer;
    const feedbackId = checkFeedbackId(options.feedbackId);
    const card = options.card === undefined ? undefined : checkCard(options.card, 'stream');
    const kind: ReplyKind = card ? 'stream_with_template_card' : 'stream';
    const passive = this.#canPassive(kind);
    const id = randomId();
    const writer = new StreamWriterImpl({
      ...this.#s.writerOptions({ id, passive }),
      handOver: (content, truncated) =>
        this.sendMarkdown(content, passive ? undefined : feedbackId, id).then((r) =>
          truncated && !r.truncated ? { ...r, truncated: true } : r,
        ),
    });
    this.#writer = writer;
    if (passive) {
      // The state exists from ctx.stream() on: WeCom refreshes long before a slow model's first token.
      void writer.begin();
      this.#choose({ kind, writer, feedbackId, card });
      void this.#s.rememberStream(id);
    } else if (card) {
      void this.#refuse(
        'stream_with_template_card',
        'deadline_passed',
        'the stream card could not go passively; it was dropped',
      );
    }
    return writer;
  }

  replyCard(card: TemplateCard): Promise<DeliveryResult> {
    const checked = checkCard(card, 'replyCard');
    if (this.#canPassive('template_card')) {
      this.#choose({ kind: 'template_card', body: { msgtype: 'template_card', template_card: checked } });
      return this.#passiveResult('template_card');
    }
    if (this.message.chattype !== 'single') {
      return this.#refuse(
        'template_card',
        'unsupported',
        'WeCom takes template cards via response_url in single chats only',
      );
    }
    return this.#send({ msgtype: 'template_card', template_card: checked }, { kind: 'template_card' });
  }

  welcome(textOrCard: string | TemplateCard): Promise<DeliveryResult> {
    if (this.message.type !== 'event.enter_chat') {
      throw new WeComBotError('invalid_reply', 'welcome() is only for enter_chat events');
    }
    const isText = typeof textOrCard === 'string';
    const kind: ReplyKind = isText ? 'text' : 'template_card';
    const card = isText ? undefined : checkCard(textOrCard, 'welcome');
    if (!this.#canPassive(kind)) {
      return this.#refuse(
        kind,
        'deadline_passed',
        'a welcome can only go in the enter_chat response (within the deadline)',
      );
    }
    if (isText) {
      const fit = fitContent(textOrCard, this.#s.marker);
      this.#choose({
        kind,
        body: { msgtype: 'text', text: { content: fit.text } },
        truncated: fit.truncated,
      });
    } else {
      this.#choose({ kind, body: { msgtype: 'template_card', template_card: card } });
    }
    return this.#passiveResult(kind);
  }

  updateCard(card: TemplateCard, userids?: readonly string[]): Promise<DeliveryResult> {
    const m = this.message;
    if (m.type !== 'event.template_card_event') {
      throw new WeComBotError('invalid_reply', 'updateCard() is only for template_card_event');
    }
    const checked = checkCard(card, 'updateCard');
    if (checked.task_id !== undefined && checked.task_id !== m.taskId) {
      throw new WeComBotError('invalid_reply', "updateCard: task_id must be the clicked card's task_id");
    }
    if (userids !== undefined && (!Array.isArray(userids) || userids.some((u) => typeof u !== 'string'))) {
      throw new WeComBotError('invalid_reply', 'updateCard: userids must be an array of strings');
    }
    if (!this.#canPassive('update_template_card')) {
      return this.#refuse(
        'update_template_card',
        'deadline_passed',
        'a card update can only go in the callback response (within 5 s)',
      );
    }
    const body: PassiveBody = {
      response_type: 'update_template_card',
      ...(userids ? { userids: [...userids] } : {}),
      template_card: { ...checked, task_id: m.taskId },
    };
    this.#choose({ kind: 'update_template_card', body });
    return this.#passiveResult('update_template_card');
  }

  downloadMediaStream(source?: MediaSource, call?: MediaStreamOptions): Promise<MediaStream> {
    const m = this.message as UserMessage | UnknownMessage;
    return this.#s.downloadStream(source ?? { media: m.media ?? [] }, call);
  }

  downloadMedia(source?: MediaSource): Promise<MediaFile> {
    const m = this.message as UserMessage | UnknownMessage;
    return this.#s.download(source ?? { media: m.media ?? [] });
  }

  downloadAllMedia(): Promise<MediaFile[]> {
    const m = this.message as UserMessage | UnknownMessage;
    return Promise.all((m.media ?? []).map((ref) => this.#s.download(ref)));
  }
}
