/**
 * MIME type from magic numbers. WeCom serves AI-bot media encrypted, so the Content-Type of the
 * download says nothing reliable about the decrypted bytes: they are what we sniff. `file-type`'s
 * core entry (Uint8Array in, no Node built-ins) knows the formats; it lacks only WeCom's SILK voice.
 */

import { fileTypeFromBuffer } from 'file-type/core';

/** Bytes enough for file-type to tell every format it knows (its `reasonableDetectionSizeInBytes`). */
export const SNIFF_BYTES = 4100;

/** `#!SILK_V3`, at the start or after WeCom's one-byte prefix (0x02). */
const SILK = '#!SILK_V3';

function isSilk(bytes: Uint8Array): boolean {
  for (const offset of [0, 1]) {
    if (bytes.length < offset + SILK.length) continue;
    let same = true;
    for (let i = 0; i < SILK.length && same; i++) same = bytes[offset + i] === SILK.charCodeAt(i);
    if (same) return true;
  }
  return false;
}

/** The MIME type of `bytes` from its leading bytes, or undefined when not recognised. */
export async function sniffMime(bytes: Uint8Array): Promise<string | undefined> {
  if (isSilk(bytes)) return 'audio/silk';
  return (await fileTypeFromBuffer(bytes))?.mime;
}

/** The kind of multimodal block a MIME type makes. */
export function blockTypeOf(mime: string): 'image' | 'audio' | 'video' | 'file' {
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  return 'file';
}
