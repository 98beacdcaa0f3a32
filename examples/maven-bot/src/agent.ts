/**
 * The echo agent: what the reference gateway's model would answer, made deterministic so the
 * gateway's behaviour can be checked end to end. It sees typed messages and returns markdown.
 */
import type { BotCallback, MediaFile, MediaRef } from '@maven/wecom-bot';

export const WELCOME =
  'Hello! I am the Maven echo bot. Send me text, voice, an image or a mix, and I echo it.';

/** Downloads and decrypts one media item (the bot's `downloadMedia`). */
export type MediaLoader = (ref: MediaRef) => Promise<MediaFile>;

function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'error';
}

/** The multimodal block the reference attaches for an inbound image: its bytes in base64. */
export interface ImageBlock {
  type: 'image';
  mimeType: string;
  /** The decrypted image, base64. */
  data: string;
}

export function imageBlock(file: MediaFile): ImageBlock {
  return { type: 'image', mimeType: file.mime, data: Buffer.from(file.bytes).toString('base64') };
}

/** What the echo "model" says about the block it was handed: type, size and the data's head. */
export function describeBlock(block: ImageBlock, bytes: number): string {
  return `image: ${block.mimeType} ${bytes} → base64 block ${block.data.slice(0, 16)}… (${block.data.length} chars)`;
}

async function imageLine(ref: MediaRef, load: MediaLoader): Promise<string> {
  try {
    const file = await load(ref);
    return describeBlock(imageBlock(file), file.bytes.byteLength);
  } catch (error) {
    return `image: download failed (${describeFailure(error)})`;
  }
}

/**
 * The answer to a user message, or undefined when there is nothing to say (events other than
 * enter_chat, empty messages). enter_chat is answered with `welcome()`, not here.
 */
export async function echoAnswer(message: BotCallback, load: MediaLoader): Promise<string | undefined> {
  switch (message.type) {
    case 'text':
    case 'voice':
      return message.text.trim() === '' ? undefined : `echo: ${message.text}`;
    case 'mixed': {
      // The reference kept only the text items; the images are answered too instead of dropped.
      const lines: string[] = [];
      if (message.text !== '') lines.push(`echo: ${message.text}`);
      for (const image of message.images) lines.push(await imageLine(image, load));
      return lines.length > 0 ? lines.join('\n') : undefined;
    }
    case 'image':
      return imageLine(message.image, load);
    case 'file':
    case 'video':
      return `(${message.type} messages are not supported by the echo agent)`;
    default:
      return undefined;
  }
}

/** Splits an answer into `parts` growing prefixes' increments (code-point safe), for streaming. */
export function streamPieces(text: string, parts = 4): string[] {
  const chars = Array.from(text);
  const size = Math.max(1, Math.ceil(chars.length / parts));
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
  return pieces;
}
