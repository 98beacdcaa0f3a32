/**
 * The stream writer. WeCom pulls stream content: after the first passive reply it keeps sending
 * refresh callbacks, each answered with the full current content. The state lives on the Store
 * (written in order, coalesced) so a refresh that lands on another replica sees it too. After the
 * window (6 minutes from the user's message) WeCom stops asking; the final answer then goes out
 * through the message's response_url as markdown.
 */

import { type Logger, type Store, streamActive, utf8Length, utf8Prefix } from '@maven/wecom-core';
import { base64Encode } from '@maven/wecom-crypto';
import type { DeliveryResult } from './delivery.js';
import { md5Hex } from './digest.js';
import { WeComBotError } from './errors.js';
import { CONTENT_LIMIT_BYTES, fitContent, type StreamImage, type StreamState } from './payloads.js';
import { sniffMime } from './sniff.js';

export interface StreamWriter {
  /** The stream id WeCom refreshes by. */
  readonly id: string;
  /** Current content as WeCom will show it (≤ 20480 bytes). */
  readonly content: string;
  readonly finished: boolean;
  /**
   * 'passive' when the stream went (or goes) out in the callback response and WeCom refreshes it;
   * 'active' when it was started after the callback was answered: the content goes out through
   * response_url at finish.
   */
  readonly mode: 'passive' | 'active';
  /** Adds text (WeCom replaces the shown content with the whole, so the writer keeps the whole). */
  append(text: string): Promise<void>;
  /** Replaces the whole content. */
  replace(text: string): Promise<void>;
  /**
   * Attaches a PNG or JPEG (≤ 10 MiB, ≤ 10 images) shown with the final frame. Throws at once on a
   * finished stream, a non-Uint8Array, an empty or oversized image or an 11th one; the type is
   * sniffed from the bytes, so the promise rejects (`invalid_image`) when they are neither PNG nor
   * JPEG. `finish` waits for the images added before it and leaves a refused one out.
   */
  addImage(bytes: Uint8Array): Promise<void>;
  /** Ends the stream (optionally replacing the content). Never rejects: the outcome is in the result. */
  finish(text?: string): Promise<DeliveryResult>;
  /** Resolves when every change so far is on the Store. */
  flush(): Promise<void>;
}

export const MAX_STREAM_IMAGES = 10;
export const MAX_STREAM_IMAGE_BYTES = 10 * 1024 * 1024;

export function streamKey(aibotid: string, id: string): string {
  return `stream:${aibotid}:${id}`;
}

export async function loadStream(
  store: Store,
  aibotid: string,
  id: string,
): Promise<StreamState | undefined> {
  const text = await store.get(streamKey(aibotid, id));
  if (text === undefined) return undefined;
  try {
    const state = JSON.parse(text) as StreamState;
    return state?.v === 1 && state.id === id ? state : undefined;
  } catch {
    return undefined;
  }
}

export interface StreamWriterOptions {
  id: string;
  aibotid: string;
  msgId: string;
  chatId: string;
  startedAt: number;
  windowMs: number;
  store: Store;
  marker: string | undefined;
  now: () => number;
  logger: Logger;
  /** Whether the callback response is still open (the stream goes in it) — asked once, at creation. */
  passive: boolean;
  /** Sends the final content through the message's response_url. */
  handOver: (content: string, truncated: boolean) => Promise<DeliveryResult>;
  onError: (error: unknown) => void;
  /** The long connection: every state written is also pushed as a snapshot frame (in order). */
  push?: ((state: StreamState) => void) | undefined;
}

export class StreamWriterImpl implements StreamWriter {
  readonly id: string;
  readonly mode: 'passive' | 'active';
  readonly #o: StreamWriterOptions;
  /** The head of the text: at most a few bytes over the limit, so a cut is still detectable. */
  #raw = '';
  #rawBytes = 0;
  #images: StreamImage[] = [];
  /** Images still being sniffed, in the order added; undefined once refused. */
  #pendingImages: Promise<StreamImage | undefined>[] = [];
  #finished = false;
  /** Set once `finish` has its images: only then does the stored state say finish. */
  #sealed = false;
  /** From `finish` until its images are in and the final state is scheduled. */
  #sealing: Promise<void> | undefined;
  #handedOver = false;
  #dirty = false;
  #writing: Promise<void> | undefined;
  #persisted: StreamState | undefined;

  constructor(options: StreamWriterOptions) {
    this.#o = options;
    this.id = options.id;
    this.mode = options.passive ? 'passive' : 'active';
    streamActive(1);
  }

  get content(): string {
    return fitContent(this.#raw, this.#o.marker).text;
  }

  get truncated(): boolean {
    return this.#rawBytes > CONTENT_LIMIT_BYTES;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** The last state written to the Store (or the current one if none was written yet). */
  get persisted(): StreamState {
    return this.#persisted ?? this.snapshot();
  }

  snapshot(): StreamState {
    return {
      v: 1,
      id: this.id,
      aibotid: this.#o.aibotid,
      msgId: this.#o.msgId,
      chatId: this.#o.chatId,
      content: this.content,
      finish: this.#sealed,
      truncated: this.truncated,
      images: this.#sealed ? this.#images : [],
      startedAt: this.#o.startedAt,
      ...(this.#handedOver ? { handedOver: true } : {}),
    };
  }

  #checkOpen(): void {
    if (this.#finished) throw new WeComBotError('stream_finished', 'the stream is already finished');
  }

  #setRaw(text: string): void {
    this.#raw = text;
    this.#rawBytes = utf8Length(text);
    if (this.#rawBytes > CONTENT_LIMIT_BYTES + 4) {
      this.#raw = utf8Prefix(text, CONTENT_LIMIT_BYTES + 4);
      this.#rawBytes = utf8Length(this.#raw);
    }
  }

  append(text: string): Promise<void> {
    this.#checkOpen();
    if (typeof text !== 'string') throw new WeComBotError('invalid_reply', 'append takes a string');
    // Past the limit the head is kept: more text cannot change what WeCom shows.
    if (this.#rawBytes <= CONTENT_LIMIT_BYTES) this.#setRaw(this.#raw + text);
    return this.#schedule();
  }

  replace(text: string): Promise<void> {
    this.#checkOpen();
    if (typeof text !== 'string') throw new WeComBotError('invalid_reply', 'replace takes a string');
    this.#setRaw(text);
    return this.#schedule();
  }

  addImage(bytes: Uint8Array): Promise<void> {
    this.#checkOpen();
    if (!(bytes instanceof Uint8Array))
      throw new WeComBotError('invalid_image', 'addImage takes a Uint8Array');
    if (this.#pendingImages.length >= MAX_STREAM_IMAGES) {
      throw new WeComBotError('invalid_image', `at most ${MAX_STREAM_IMAGES} images per stream`);
    }
    if (bytes.length === 0 || bytes.length > MAX_STREAM_IMAGE_BYTES) {
      throw new WeComBotError('invalid_image', 'a stream image must be 1 byte to 10 MiB');
    }
    let slot: Promise<StreamImage | undefined> | undefined;
    const image = sniffMime(bytes).then((mime): StreamImage => {
      if (mime !== 'image/png' && mime !== 'image/jpeg') {
        // A refused image frees its place (before the caller hears of it) for another.
        this.#pendingImages = this.#pendingImages.filter((p) => p !== slot);
        throw new WeComBotError(
          'invalid_image',
          `stream images must be PNG or JPEG (got ${mime ?? 'unknown'})`,
        );
      }
      return { base64: base64Encode(bytes), md5: md5Hex(bytes) };
    });
    slot = image.catch(() => undefined);
    this.#pendingImages.push(slot);
    return image.then(() => undefined);
  }

  finish(text?: string): Promise<DeliveryResult> {
    this.#checkOpen();
    if (text !== undefined) {
      if (typeof text !== 'string') throw new WeComBotError('invalid_reply', 'finish takes a string');
      this.#setRaw(text);
    }
    this.#finished = true;
    streamActive(-1);
    this.#sealing = this.#seal();
    return this.#finishAsync();
  }

  /** Waits for the images still being sniffed; a refused one is left out. */
  async #seal(): Promise<void> {
    for (const image of await Promise.all(this.#pendingImages)) if (image) this.#images.push(image);
    this.#sealed = true;
  }

  async #finishAsync(): Promise<DeliveryResult> {
    await this.#sealing;
    const base = {
      kind: 'stream' as const,
      msgId: this.#o.msgId,
      chatId: this.#o.chatId,
      streamId: this.id,
      ...(this.truncated ? { truncated: true } : {}),
    };
    const windowOver = this.#o.now() >= this.#o.startedAt + this.#o.windowMs;
    if (this.mode === 'active' || windowOver) {
      if (this.#images.length > 0) {
        this.#o.logger.warn('stream images cannot go through response_url; they were dropped', {
          msgId: this.#o.msgId,
          images: this.#images.length,
        });
      }
      if (this.mode === 'passive') {
        this.#handedOver = true;
        await this.#schedule();
      }
      return this.#o.handOver(this.content, this.truncated);
    }
    await this.#schedule();
    // Served by the callback response or the next refresh callback (that one reports reply.delivered).
    return { ok: true, channel: 'passive', finish: true, ...base };
  }

  /** Writes the initial (empty, unfinished) state, so refreshes before the first append find it. */
  begin(): Promise<void> {
    return this.#schedule();
  }

  flush(): Promise<void> {
    // A finish still waiting for its images is a change so far: its state is written next.
    if (this.#sealing && !this.#sealed) return this.#sealing.then(() => this.#schedule());
    return this.#writing ?? Promise.resolve();
  }

  #schedule(): Promise<void> {
    if (this.mode === 'active') return Promise.resolve();
    this.#dirty = true;
    this.#writing ??= this.#drain();
    return this.#writing;
  }

  /** Writes the latest state until nothing is dirty: in order, and coalesced under bursts of appends. */
  async #drain(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false;
        const state = this.snapshot();
        this.#o.push?.(state);
        try {
          const ttlMs = Math.max(60_000, this.#o.startedAt + this.#o.windowMs + 600_000 - this.#o.now());
          await this.#o.store.set(streamKey(this.#o.aibotid, this.id), JSON.stringify(state), { ttlMs });
          this.#persisted = state;
        } catch (error) {
          this.#o.onError(error);
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }
}
