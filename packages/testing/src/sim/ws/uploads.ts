/**
 * Media upload sessions of the long connection: init → chunk × N → finish. A session lives 30
 * minutes and belongs to the bot that opened it; chunks (≤ 512 KiB before base64, indexes 0..N-1,
 * as WeCom's own client sends them) may come in any order and a repeated one is ignored; finish
 * checks the size and, when given, the md5. A media_id is valid 3 days.
 */
import { createHash } from 'node:crypto';
import { randomCode } from '../../random.js';
import { MEDIA_ID_TTL_MS, MEDIA_LIMITS } from '../media-store.js';
import { WS_ERRCODES, type WsErrcodeName } from './protocol.js';

export const UPLOAD_SESSION_TTL_MS = 30 * 60 * 1000;
export const CHUNK_MAX_BYTES = 512 * 1024;
export const MAX_CHUNKS = 100;

export interface WsUploadedMedia {
  mediaId: string;
  botId: string;
  type: string;
  filename: string;
  bytes: Buffer;
  createdAt: number;
  /** Chunk frames received, repeats included. */
  chunkFrames: number;
}

interface Session {
  botId: string;
  type: string;
  filename: string;
  totalSize: number;
  totalChunks: number;
  md5: string | undefined;
  chunks: Map<number, Buffer>;
  chunkFrames: number;
  createdAt: number;
}

export type UploadAnswer = { error: WsErrcodeName; detail?: string } | { body: Record<string, unknown> };

function fail(error: WsErrcodeName, detail?: string): UploadAnswer {
  return detail === undefined ? { error } : { error, detail };
}

export class WsUploads {
  readonly #sessions = new Map<string, Session>();
  readonly #media = new Map<string, WsUploadedMedia>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  init(botId: string, body: Record<string, unknown>): UploadAnswer {
    const { type, filename, total_size: size, total_chunks: chunks, md5 } = body;
    if (typeof type !== 'string' || !(type in MEDIA_LIMITS)) return fail('invalidParameter', 'type');
    if (typeof filename !== 'string' || filename.length === 0 || Buffer.byteLength(filename) > 256)
      return fail('invalidParameter', 'filename');
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 5)
      return fail('invalidParameter', 'total_size');
    if (size > (MEDIA_LIMITS[type] ?? 0)) return fail('contentTooLarge');
    if (typeof chunks !== 'number' || !Number.isInteger(chunks) || chunks < 1 || chunks > MAX_CHUNKS)
      return fail('invalidParameter', 'total_chunks');
    if (md5 !== undefined && (typeof md5 !== 'string' || !/^[0-9a-f]{32}$/i.test(md5)))
      return fail('invalidParameter', 'md5');
    const uploadId = randomCode(18);
    this.#sessions.set(uploadId, {
      botId,
      type,
      filename,
      totalSize: size,
      totalChunks: chunks,
      md5: typeof md5 === 'string' ? md5.toLowerCase() : undefined,
      chunks: new Map(),
      chunkFrames: 0,
      createdAt: this.#now(),
    });
    return { body: { upload_id: uploadId } };
  }

  #session(botId: string, uploadId: unknown): Session | undefined {
    if (typeof uploadId !== 'string') return undefined;
    const session = this.#sessions.get(uploadId);
    if (session === undefined || session.botId !== botId) return undefined;
    if (this.#now() - session.createdAt >= UPLOAD_SESSION_TTL_MS) {
      this.#sessions.delete(uploadId);
      return undefined;
    }
    return session;
  }

  chunk(botId: string, body: Record<string, unknown>): UploadAnswer {
    const session = this.#session(botId, body.upload_id);
    if (session === undefined) return fail('invalidUpload');
    session.chunkFrames++;
    const index = body.chunk_index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= session.totalChunks)
      return fail('invalidParameter', 'chunk_index');
    if (typeof body.base64_data !== 'string') return fail('invalidParameter', 'base64_data');
    const bytes = Buffer.from(body.base64_data, 'base64');
    if (bytes.length === 0 || bytes.length > CHUNK_MAX_BYTES) return fail('invalidParameter', 'chunk size');
    if (!session.chunks.has(index)) session.chunks.set(index, bytes);
    return { body: {} };
  }

  finish(botId: string, body: Record<string, unknown>): UploadAnswer {
    const uploadId = body.upload_id as string;
    const session = this.#session(botId, uploadId);
    if (session === undefined) return fail('invalidUpload');
    if (session.chunks.size !== session.totalChunks) return fail('invalidParameter', 'chunks missing');
    const parts = Array.from({ length: session.totalChunks }, (_, i) => session.chunks.get(i)!);
    const bytes = Buffer.concat(parts);
    if (bytes.length !== session.totalSize) return fail('invalidParameter', 'total_size mismatch');
    if (session.md5 !== undefined && createHash('md5').update(bytes).digest('hex') !== session.md5)
      return fail('invalidParameter', 'md5 mismatch');
    this.#sessions.delete(uploadId);
    const mediaId = `3${randomCode(30)}`;
    const createdAt = this.#now();
    this.#media.set(mediaId, {
      mediaId,
      botId,
      type: session.type,
      filename: session.filename,
      bytes,
      createdAt,
      chunkFrames: session.chunkFrames,
    });
    return { body: { type: session.type, media_id: mediaId, created_at: Math.floor(createdAt / 1000) } };
  }

  /** A live media_id, or undefined. */
  get(mediaId: string): WsUploadedMedia | undefined {
    const item = this.#media.get(mediaId);
    if (item === undefined || this.#now() - item.createdAt >= MEDIA_ID_TTL_MS) return undefined;
    return item;
  }

  list(): WsUploadedMedia[] {
    return [...this.#media.values()];
  }
}

export function errorOf(answer: { error: WsErrcodeName; detail?: string }): {
  errcode: number;
  errmsg: string;
} {
  const { errcode, errmsg } = WS_ERRCODES[answer.error];
  return { errcode, errmsg: answer.detail === undefined ? errmsg : `${errmsg}: ${answer.detail}` };
}
