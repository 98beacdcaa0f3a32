/**
 * Slow-header connections against a server: each sends a request line and one header line, then
 * one more header line every 200 ms, never the blank line. Counts how many the server has closed
 * at two moments: before its header timeout (all must still be open) and at the bound the
 * deployment guide promises (timeout + 1 s check interval + a margin: all must be closed).
 */
import { connect, type Socket } from 'node:net';

export interface SlowHeaderCounts {
  opened: number;
  closedBeforeTimeout: number;
  closedAtBound: number;
  /** Closed with a 408 answer the client read. */
  answered408: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function slowHeaderCounts(
  port: number,
  options: { connections: number; headersTimeoutMs: number; boundMs: number },
): Promise<SlowHeaderCounts> {
  let closed = 0;
  let answered408 = 0;
  const sockets: Socket[] = [];
  const ticks: ReturnType<typeof setInterval>[] = [];
  await Promise.all(
    Array.from(
      { length: options.connections },
      () =>
        new Promise<void>((opened) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.write('POST /wecom/bot HTTP/1.1\r\nHost: x\r\n');
            let n = 0;
            ticks.push(setInterval(() => socket.writable && socket.write(`X-Slow-${n++}: y\r\n`), 200));
            opened();
          });
          let received = '';
          socket.setEncoding('latin1');
          socket.on('data', (chunk: string) => {
            received += chunk;
            if (received.startsWith('HTTP/1.1 408')) answered408++;
            received = received.startsWith('HTTP/1.1 408') ? '' : received;
          });
          socket.on('error', () => {});
          socket.once('close', () => closed++);
          sockets.push(socket);
        }),
    ),
  );
  await sleep(options.headersTimeoutMs / 2);
  const closedBeforeTimeout = closed;
  await sleep(options.boundMs - options.headersTimeoutMs / 2);
  const closedAtBound = closed;
  for (const t of ticks) clearInterval(t);
  for (const s of sockets) s.destroy();
  return { opened: sockets.length, closedBeforeTimeout, closedAtBound, answered408 };
}
