/**
 * The fetch port's handling of a body it refused (413) or never needed (404, 405, 503): as nginx
 * does, the rest is read and dropped — never buffered — up to a number of bytes and a time, and
 * only then is the answer given; past the bounds the stream is cancelled. Answering (or cancelling)
 * while the client is still sending lets a Node fetch server (@hono/node-server) close the socket
 * with unread bytes in it, a reset, and the client never reads its 4xx; a body read to its end
 * also leaves a keep-alive connection reusable. A 408 is answered at once (the body is too slow to
 * wait for) and drained behind the answer.
 */
import { DEFAULT_DRAIN, type DrainOptions } from './node-listener.js';

/**
 * Reads `reader` to its end, dropping every chunk, for at most the drain's bytes and time; then
 * cancels it. `pending` is a read already in flight (a body that timed out mid-read). Resolves when
 * done; never rejects.
 */
export function drainReader(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  options: DrainOptions = {},
  pending?: Promise<ReadableStreamReadResult<Uint8Array>>,
): Promise<void> {
  const maxBytes = options.maxBytes ?? DEFAULT_DRAIN.maxBytes;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DRAIN.timeoutMs;
  return new Promise<void>((resolve) => {
    let dropped = 0;
    let over = false;
    const end = (cancel: boolean): void => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      if (cancel) reader.cancel().catch(() => {});
      resolve();
    };
    const timer = setTimeout(() => end(true), timeoutMs);
    // Not a reason to keep a Node process alive (Deno and Workers return a number: nothing to do).
    (timer as { unref?: () => void }).unref?.();
    const step = (read: ReadableStreamReadResult<Uint8Array>): void => {
      if (over) return;
      if (read.done) {
        end(false);
        return;
      }
      dropped += read.value.byteLength;
      if (dropped > maxBytes) {
        end(true);
        return;
      }
      reader.read().then(step, () => end(false));
    };
    (pending ?? reader.read()).then(step, () => end(false));
  });
}

/** Drains a request body nobody read (a path or method not ours, a refusal before reading). */
export async function drainUnread(request: Request, options?: DrainOptions): Promise<void> {
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    if (request.bodyUsed || !request.body || request.body.locked) return;
    reader = request.body.getReader();
  } catch {
    return; // A body the runtime will not let us read is its own to drop.
  }
  await drainReader(reader, options);
}
