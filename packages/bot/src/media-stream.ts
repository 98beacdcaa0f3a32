/**
 * Media of AI-bot messages as a stream: the download is decrypted while it arrives, so a 100 MB
 * file never sits in memory. The same guards as the buffered `downloadMedia`: allowed protocols
 * and hosts on the URL and on every redirect, a size cap on Content-Length and on the bytes
 * received, a timeout; and the same typed errors, on the returned promise or on the stream.
 */
import { checkDownloadUrl, isWeComError, WeComConfigError, WeComRequestError } from '@maven/wecom-core';
import { type WeComCrypto, WeComCryptoError } from '@maven/wecom-crypto';
import { WeComBotError } from './errors.js';
import { filenameOf, type MediaDownloadOptions, type MediaSource, urlRef } from './media.js';
import { SNIFF_BYTES, sniffMime } from './sniff.js';
import type { MediaRef } from './types.js';

/** WeCom hands AI bots files of up to 100 MB (the default cap of a file stream). */
export const WECOM_FILE_MAX_BYTES = 100 * 1024 * 1024;
/** PKCS#7 to 32 bytes adds up to 32 bytes to the ciphertext. */
const PAD_ALLOWANCE = 32;
const MAX_REDIRECTS = 3;

export interface MediaStreamOptions {
  /**
   * Largest download (encrypted bytes), checked on Content-Length and while streaming. Default:
   * WeCom's own file limit (100 MB, plus the padding) for files, the bot's `media.maxBytes` else.
   */
  maxBytes?: number;
  /** Longest wait for the response headers and then for each piece of the body. Default `media.timeoutMs`. */
  timeoutMs?: number;
  /** Aborts the download; the stream then errors with `media_download_failed`. */
  signal?: AbortSignal;
}

export interface MediaStreamDeps {
  crypto: WeComCrypto;
  options: MediaDownloadOptions;
  /** The fetch to use (proxies, tests). Default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
}

export interface MediaStream {
  /** The decrypted bytes. Errors (size, timeout, bad padding) arrive as a `WeComBotError`. */
  stream: ReadableStream<Uint8Array>;
  /** Sniffed from the first bytes; else the download's Content-Type; else application/octet-stream. */
  mime: string;
  kind: MediaRef['kind'];
  /** From Content-Disposition, when the CDN sent one. */
  filename?: string;
  /** The encrypted size the server declared (Content-Length); the decrypted size is up to 32 bytes less. */
  encryptedLength?: number;
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !(value > 0))
    throw new WeComConfigError(`${name} must be a positive number`);
  return value;
}

/** The error a failure of the download or the decryption surfaces as. */
function mediaError(cause: unknown, why: { timedOut: boolean }): WeComBotError {
  if (cause instanceof WeComBotError) return cause;
  if (cause instanceof WeComCryptoError)
    return new WeComBotError('media_decrypt_failed', 'media did not decrypt with the bot key', { cause });
  if (cause instanceof WeComRequestError && cause.code === 'body_too_large')
    return new WeComBotError('media_too_large', cause.message, { cause });
  if (cause instanceof WeComRequestError && (cause.code === 'forbidden' || cause.code === 'bad_request'))
    return new WeComBotError('media_url_forbidden', cause.message, { cause });
  const detail = why.timedOut ? 'timeout' : isWeComError(cause) ? cause.code : 'network error';
  // The raw cause may quote the signed URL: only its name is kept.
  const name = cause instanceof Error ? cause.name : typeof cause;
  return new WeComBotError('media_download_failed', `media download failed (${detail})`, {
    cause: new Error(name),
  });
}

/**
 * Downloads URL media and decrypts it on the fly. Resolves once the headers and the first bytes
 * are in (a refused URL, an HTTP error or a too-large declared size rejects here); later failures
 * error the stream. Cancel the stream to stop the download.
 */
export async function downloadMediaStream(
  source: MediaSource,
  deps: MediaStreamDeps,
  call: MediaStreamOptions = {},
): Promise<MediaStream> {
  const ref = urlRef(source);
  const { options } = deps;
  const fallback = ref.kind === 'file' ? WECOM_FILE_MAX_BYTES + PAD_ALLOWANCE : options.maxBytes;
  const maxBytes = positive('maxBytes', call.maxBytes ?? fallback);
  const timeoutMs = positive('timeoutMs', call.timeoutMs ?? options.timeoutMs);
  const fetchFn = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
  let decrypt: TransformStream<Uint8Array, Uint8Array>;
  try {
    decrypt = deps.crypto.decryptMediaStream(ref.aeskey);
  } catch (cause) {
    throw mediaError(cause, { timedOut: false });
  }

  const abort = new AbortController();
  const why = { timedOut: false };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      why.timedOut = true;
      abort.abort();
    }, timeoutMs);
  };
  const disarm = () => clearTimeout(timer);
  const onAbort = () => abort.abort();
  call.signal?.addEventListener('abort', onAbort, { once: true });
  if (call.signal?.aborted) abort.abort();
  const done = () => {
    disarm();
    call.signal?.removeEventListener('abort', onAbort);
  };

  const hosts = options.hosts?.map((h) => h.toLowerCase());
  let response: Response;
  try {
    arm();
    let url = checkDownloadUrl(ref.url, options.protocols, hosts);
    for (let hop = 0; ; hop++) {
      response = await fetchFn(url, { signal: abort.signal, redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel().catch(() => {});
        if (hop >= MAX_REDIRECTS) throw new WeComRequestError('forbidden', 'media URL redirects too often');
        url = checkDownloadUrl(location, options.protocols, hosts, url);
        continue;
      }
      break;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new WeComBotError('media_download_failed', `media download failed (HTTP ${response.status})`);
    }
    const declared = Number(response.headers.get('content-length') ?? 'NaN');
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw new WeComBotError('media_too_large', `media exceeds ${maxBytes} bytes`);
    }
  } catch (cause) {
    done();
    throw mediaError(cause, why);
  }

  let received = 0;
  const cap = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength;
      if (received > maxBytes) throw new WeComBotError('media_too_large', `media exceeds ${maxBytes} bytes`);
      controller.enqueue(chunk);
    },
  });
  const body = response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  const reader = body.pipeThrough(cap).pipeThrough(decrypt).getReader();
  /** One read of decrypted bytes, under the timeout (the consumer's own pace is not timed). */
  const read = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    arm();
    try {
      return await reader.read();
    } catch (cause) {
      done();
      throw mediaError(cause, why);
    } finally {
      disarm();
    }
  };

  // Read ahead a little to sniff the type; small files are then complete (or failed) already.
  const ahead: Uint8Array[] = [];
  let aheadBytes = 0;
  let ended = false;
  disarm();
  while (aheadBytes < SNIFF_BYTES) {
    const next = await read();
    if (next.done) {
      ended = true;
      break;
    }
    ahead.push(next.value);
    aheadBytes += next.value.byteLength;
  }
  const first = new Uint8Array(aheadBytes);
  for (let i = 0, o = 0; i < ahead.length; o += ahead[i]!.byteLength, i++) first.set(ahead[i]!, o);

  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (first.byteLength > 0) controller.enqueue(first);
        if (ended) {
          done();
          controller.close();
        }
      },
      async pull(controller) {
        const next = await read();
        if (next.done) {
          done();
          controller.close();
        } else controller.enqueue(next.value);
      },
      async cancel(reason) {
        done();
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
  const contentType = (response.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
  const mime =
    (await sniffMime(first)) ??
    (contentType && contentType !== 'application/octet-stream' ? contentType : 'application/octet-stream');
  const filename = filenameOf(response.headers);
  const length = Number(response.headers.get('content-length') ?? 'NaN');
  return {
    stream,
    mime,
    kind: ref.kind,
    ...(filename ? { filename } : {}),
    ...(Number.isFinite(length) ? { encryptedLength: length } : {}),
  };
}
