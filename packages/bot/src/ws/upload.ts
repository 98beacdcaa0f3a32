/**
 * Media upload over the long connection: `aibot_upload_media_init` (type, filename, size, chunk
 * count, md5 of the whole file) → `aibot_upload_media_chunk` × N (≤ 512 KiB before base64, at most
 * 100, indexes from 0) → `aibot_upload_media_finish` → media_id (valid 3 days). Chunks go out a
 * few at a time (WeCom answers "system error" under heavy concurrency) and each is retried on its
 * own; WeCom ignores a repeated chunk, so a retry after a lost answer is safe.
 */
import { base64Encode } from '@maven/wecom-crypto';
import { md5Hex } from '../digest.js';
import { WeComWsError } from './errors.js';
import { WS_CMD } from './frames.js';
import type { WsTransport } from './transport.js';

export type WsMediaType = 'file' | 'image' | 'voice' | 'video';

/** Size caps by type (WeCom's temporary-media limits; images are documented at 2 MB and at 10 MB). */
export const WS_MEDIA_MAX_BYTES: Record<WsMediaType, number> = {
  image: 10 * 1024 * 1024,
  voice: 2 * 1024 * 1024,
  video: 10 * 1024 * 1024,
  file: 20 * 1024 * 1024,
};
export const WS_CHUNK_MAX_BYTES = 512 * 1024;
export const WS_MAX_CHUNKS = 100;

export interface WsUploadOptions {
  type: WsMediaType;
  /** ≤ 256 bytes UTF-8. */
  filename: string;
  bytes: Uint8Array;
  /** Default and most: 512 KiB. */
  chunkBytes?: number;
  /** Chunks in flight at once. Default: all when ≤ 4 chunks, 3 up to 10, else 2. */
  concurrency?: number;
  /** Retries per chunk. Default 2. */
  retries?: number;
  /** Delay before the n-th retry: n × retryDelayMs. Default 500. */
  retryDelayMs?: number;
}

export interface WsUploadedMedia {
  mediaId: string;
  type: string;
  createdAt: number | undefined;
  /** Chunk frames sent, retries included. */
  chunkFrames: number;
}

const encoder = new TextEncoder();

function invalid(message: string): WeComWsError {
  return new WeComWsError('invalid_request', `upload: ${message}`);
}

export async function uploadMedia(
  transport: Pick<WsTransport, 'send'>,
  options: WsUploadOptions,
): Promise<WsUploadedMedia> {
  const { type, filename, bytes } = options;
  if (!(type in WS_MEDIA_MAX_BYTES)) throw invalid('type must be file, image, voice or video');
  if (typeof filename !== 'string' || filename.length === 0 || encoder.encode(filename).length > 256)
    throw invalid('filename must be 1..256 bytes');
  if (!(bytes instanceof Uint8Array) || bytes.length < 5)
    throw invalid('bytes must be a Uint8Array of ≥ 5 bytes');
  if (bytes.length > WS_MEDIA_MAX_BYTES[type])
    throw invalid(`a ${type} may have at most ${WS_MEDIA_MAX_BYTES[type]} bytes`);
  const chunkBytes = options.chunkBytes ?? WS_CHUNK_MAX_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > WS_CHUNK_MAX_BYTES)
    throw invalid(`chunkBytes must be 1..${WS_CHUNK_MAX_BYTES}`);
  const total = Math.ceil(bytes.length / chunkBytes);
  if (total > WS_MAX_CHUNKS) throw invalid(`more than ${WS_MAX_CHUNKS} chunks; use larger chunks`);
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const concurrency = options.concurrency ?? (total <= 4 ? total : total <= 10 ? 3 : 2);

  const init = await transport.send(WS_CMD.uploadInit, {
    type,
    filename,
    total_size: bytes.length,
    total_chunks: total,
    md5: md5Hex(bytes),
  });
  const uploadId = init.body?.upload_id;
  if (typeof uploadId !== 'string' || uploadId.length === 0)
    throw new WeComWsError('upload_failed', 'upload: init answered without an upload_id');

  let chunkFrames = 0;
  const sendChunk = async (index: number): Promise<void> => {
    const data = base64Encode(bytes.subarray(index * chunkBytes, (index + 1) * chunkBytes));
    for (let attempt = 0; ; attempt++) {
      chunkFrames++;
      try {
        await transport.send(WS_CMD.uploadChunk, {
          upload_id: uploadId,
          chunk_index: index,
          base64_data: data,
        });
        return;
      } catch (cause) {
        const code = (cause as WeComWsError).code;
        const retryable = code === 'ack_error' || code === 'ack_timeout';
        if (!retryable || attempt >= retries)
          throw new WeComWsError(
            'upload_failed',
            `upload: chunk ${index} failed after ${attempt + 1} tries`,
            { cause },
          );
        await new Promise((r) => setTimeout(r, retryDelayMs * (attempt + 1)));
      }
    }
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) await sendChunk(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker));

  const finish = await transport.send(WS_CMD.uploadFinish, { upload_id: uploadId });
  const mediaId = finish.body?.media_id;
  if (typeof mediaId !== 'string' || mediaId.length === 0)
    throw new WeComWsError('upload_failed', 'upload: finish answered without a media_id');
  const createdAt = Number(finish.body?.created_at);
  return {
    mediaId,
    type: typeof finish.body?.type === 'string' ? finish.body.type : type,
    createdAt: Number.isFinite(createdAt) ? createdAt : undefined,
    chunkFrames,
  };
}
