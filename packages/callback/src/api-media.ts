/**
 * Media calls: media/upload (temporary, 3 days), media/uploadimg (permanent image URL for cards and
 * news), media/get buffered or streamed. Sizes are checked against WeCom's limits before upload.
 */
import {
  type ApiResult,
  checkKeys,
  optionalNumber,
  requireString,
  WeComApiError,
  WeComError,
} from '@maven/wecom-core';
import type { ApiCore } from './api-core.js';
import { RATE_LIMIT_ERRCODES, TOKEN_ERRCODES } from './errcodes.js';
import { WeComMessageError } from './errors.js';
import {
  checkUpload,
  contentTypeFor,
  filenameFromDisposition,
  type MediaType,
  UPLOADIMG_LIMIT,
  withExtension,
} from './media.js';
import type {
  GetMediaOptions,
  MediaFile,
  MediaStream,
  UploadedMedia,
  UploadImageOptions,
  UploadMediaOptions,
} from './wecom-api-types.js';

/** The multipart form WeCom expects (field `media`), after the size and name checks. */
function mediaForm(
  where: string,
  data: UploadMediaOptions['data'],
  filename: string,
  explicitType: string | undefined,
  check: (size: number) => void,
): FormData {
  const part =
    data instanceof Blob ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : (data as unknown);
  if (!(part instanceof Blob) && !(part instanceof Uint8Array)) {
    throw new WeComMessageError(`${where}: data must be a Uint8Array, an ArrayBuffer or a Blob`);
  }
  check(part instanceof Blob ? part.size : part.byteLength);
  const blobType = part instanceof Blob ? part.type : '';
  const contentType = contentTypeFor(filename, explicitType ?? (blobType || undefined));
  const form = new FormData();
  const blob =
    part instanceof Blob
      ? new Blob([part], { type: contentType })
      : new Blob([part as Uint8Array<ArrayBuffer>], { type: contentType });
  form.append('media', blob, withExtension(filename, contentType));
  return form;
}

export async function uploadMedia(core: ApiCore, options: UploadMediaOptions): Promise<UploadedMedia> {
  checkKeys('uploadMedia', options, ['type', 'data', 'filename', 'contentType']);
  const form = mediaForm('uploadMedia', options.data, options.filename, options.contentType, (size) =>
    checkUpload(options.type, size, options.filename),
  );
  // A FormData body can be sent again as it is (token refresh, -1 retries).
  const result = await core.call<ApiResult>('/cgi-bin/media/upload', {
    method: 'POST',
    query: { type: options.type },
    body: form,
  });
  if (typeof result.media_id !== 'string' || result.media_id.length === 0) {
    throw new WeComError('invalid_response', 'media/upload answered without a media_id', { status: 502 });
  }
  return {
    type: String(result.type ?? options.type),
    media_id: result.media_id,
    created_at: String(result.created_at ?? ''),
  };
}

/** media/uploadimg: a permanent image URL (jpg/png, at most 2 MB) for template cards and news. */
export async function uploadImage(core: ApiCore, options: UploadImageOptions): Promise<string> {
  checkKeys('uploadImage', options, ['data', 'filename', 'contentType']);
  const form = mediaForm('uploadImage', options.data, options.filename, options.contentType, (size) =>
    checkUpload('image', size, options.filename, UPLOADIMG_LIMIT),
  );
  const result = await core.call<ApiResult>('/cgi-bin/media/uploadimg', { method: 'POST', body: form });
  if (typeof result.url !== 'string' || result.url.length === 0) {
    throw new WeComError('invalid_response', 'media/uploadimg answered without a url', { status: 502 });
  }
  return result.url;
}

const decoder = new TextDecoder();

/** WeCom answers media/get errors with a JSON body (application/json, sometimes text/plain). */
function errorBody(contentType: string, bytes: Uint8Array): { errcode: number; errmsg: string } | undefined {
  if (!contentType.includes('json') && contentType !== 'text/plain') return undefined;
  if (bytes.byteLength > 64 * 1024) return undefined;
  try {
    const value = JSON.parse(decoder.decode(bytes)) as { errcode?: unknown; errmsg?: unknown };
    const errcode = Number(value.errcode ?? 0);
    if (Number.isFinite(errcode) && errcode !== 0) return { errcode, errmsg: String(value.errmsg ?? '') };
  } catch {
    if (contentType.includes('json')) {
      throw new WeComError('invalid_response', 'media/get answered with malformed JSON', { status: 502 });
    }
  }
  return undefined;
}

/** Token and rate-limit errors go back to withToken (refresh / back off); others throw now. */
function handOver(error: { errcode: number; errmsg: string }, path: string): ApiResult {
  if (!TOKEN_ERRCODES.includes(error.errcode) && !RATE_LIMIT_ERRCODES.includes(error.errcode)) {
    throw new WeComApiError(error.errcode, error.errmsg, path);
  }
  return error;
}

const PATH = '/cgi-bin/media/get';

function errorName(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'error';
}

/** media/get, buffered, at most `maxBytes`. */
export async function getMedia(
  core: ApiCore,
  mediaId: string,
  options: GetMediaOptions = {},
): Promise<MediaFile> {
  requireString('getMedia', 'mediaId', mediaId);
  checkKeys('getMedia', options, ['maxBytes', 'timeoutMs']);
  const maxBytes = optionalNumber('getMedia', 'maxBytes', options.maxBytes, 20 * 1024 * 1024 + 1024, {
    min: 1,
    integer: true,
  });
  const protocol = new URL(core.http.baseUrl).protocol;
  let file: MediaFile | undefined;
  await core.withToken(PATH, undefined, async (token) => {
    const url = core.http.url(PATH, { access_token: token, media_id: mediaId }).toString();
    const got = await core.http.download(url, {
      maxBytes,
      protocols: [protocol],
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    const error = errorBody(got.contentType, got.bytes);
    if (error !== undefined) return handOver(error, PATH);
    file = { bytes: got.bytes, contentType: got.contentType };
    const filename = filenameFromDisposition(got.headers.get('content-disposition'));
    if (filename !== undefined) file.filename = filename;
    return { errcode: 0 };
  });
  return file!;
}

/**
 * media/get without buffering: the body is handed over unread, for large videos and files. An
 * error answer (JSON) is read (it is small) and handled like getMedia's.
 */
export async function getMediaStream(
  core: ApiCore,
  mediaId: string,
  options: { signal?: AbortSignal } = {},
): Promise<MediaStream> {
  requireString('getMediaStream', 'mediaId', mediaId);
  checkKeys('getMediaStream', options, ['signal']);
  let stream: MediaStream | undefined;
  await core.withToken(PATH, options.signal, async (token) => {
    const url = core.http.url(PATH, { access_token: token, media_id: mediaId });
    let response: Response;
    try {
      response = await core.fetch(url, {
        method: 'GET',
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      // The error of a bare fetch may quote the URL, access_token included: say only what failed.
      throw new WeComError('network_error', `media/get stream request failed (${errorName(error)})`, {
        status: 502,
      });
    }
    const contentType = (response.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
    if (!response.ok || response.body === null) {
      await response.body?.cancel().catch(() => {});
      throw new WeComError('http_error', `media/get answered HTTP ${response.status}`, { status: 502 });
    }
    if (contentType.includes('json') || contentType === 'text/plain') {
      const error = errorBody(contentType, new Uint8Array(await response.arrayBuffer()));
      if (error !== undefined) return handOver(error, PATH);
      throw new WeComError('invalid_response', 'media/get answered JSON without an errcode', { status: 502 });
    }
    stream = { body: response.body, contentType };
    const length = Number(response.headers.get('content-length') ?? 'NaN');
    if (Number.isFinite(length)) stream.contentLength = length;
    const filename = filenameFromDisposition(response.headers.get('content-disposition'));
    if (filename !== undefined) stream.filename = filename;
    return { errcode: 0 };
  });
  return stream!;
}

export type { MediaType };
