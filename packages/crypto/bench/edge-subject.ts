/**
 * The edge-runtime benchmark's work, runtime-neutral (no `node:` imports): inbound (verify the
 * signature, decrypt) and outbound (encrypt, sign) of a JSON bot message of a given size, on the
 * codec it is given, timed by the clock it is given. Used by edge.bench.ts on Node and, bundled, on
 * Deno, Bun and workerd.
 */
import type { WeComCrypto } from '../src/wecom-crypto.ts';

export const KEYS = {
  token: 'QDG6eK',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  receiveId: 'wx5823bf96d3bd56c7',
  timestampWindow: false,
} as const;

export const SIZES = [
  ['200 B', 200],
  ['1 KB', 1024],
  ['16 KB', 16 * 1024],
  ['256 KB', 256 * 1024],
] as const;

export type Op = 'inbound' | 'outbound';

/** A JSON bot message of exactly `bytes` UTF-8 bytes. */
function jsonMessage(bytes: number): string {
  const shell = JSON.stringify({ msgid: 'CAIQ16HMjQYY', msgtype: 'text', text: { content: '' } });
  return shell.replace('"content":""', `"content":"${'x'.repeat(bytes - shell.length)}"`);
}

/** One operation of `op` at `bytes`, checked once before it is timed. */
export async function operation(codec: WeComCrypto, op: Op, bytes: number): Promise<() => Promise<unknown>> {
  const message = jsonMessage(bytes);
  const timestamp = '1409659813';
  const nonce = '1372623149';
  const encrypt = await codec.encrypt(message);
  const signature = await codec.signature(timestamp, nonce, encrypt);
  const sample = { signature, timestamp, nonce, encrypt };
  const inbound = async () => {
    await codec.verifySignature(sample);
    return (await codec.decrypt(sample.encrypt)).message;
  };
  const outbound = async () => codec.signature(timestamp, nonce, await codec.encrypt(message));
  if ((await inbound()) !== message) throw new Error('inbound decrypted wrongly');
  if ((await outbound()).length !== 40) throw new Error('outbound signed wrongly');
  return op === 'inbound' ? inbound : outbound;
}

export async function runBatch(run: () => Promise<unknown>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await run();
}

/** Median ns per operation over `rounds` batches of about `roundMs`, timed with `now` (ms). */
export async function timeOp(
  run: () => Promise<unknown>,
  now: () => number,
  { roundMs = 40, rounds = 9 } = {},
): Promise<number> {
  let n = 1;
  for (;;) {
    const t0 = now();
    await runBatch(run, n);
    const elapsed = now() - t0;
    if (elapsed >= roundMs / 4 || n >= 1 << 20) {
      n = Math.max(1, Math.ceil((n * roundMs) / Math.max(elapsed, 0.001)));
      break;
    }
    n *= 4;
  }
  const perOp: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    await runBatch(run, n);
    perOp.push(((now() - t0) * 1e6) / n);
  }
  perOp.sort((a, b) => a - b);
  return perOp[Math.floor(perOp.length / 2)]!;
}

/**
 * The process's CPU time in ms where the runtime exposes it (Node, Deno and Bun all have
 * `process.cpuUsage`), else the wall clock. CPU time hardly moves with load elsewhere on the machine,
 * and covers Web Crypto's worker threads too (it is the whole process's).
 */
export function cpuClock(): { now: () => number; kind: 'cpu' | 'wall' } {
  const usage = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process
    ?.cpuUsage;
  if (typeof usage !== 'function') return { now: () => performance.now(), kind: 'wall' };
  return {
    now: () => {
      const u = usage();
      return (u.user + u.system) / 1000;
    },
    kind: 'cpu',
  };
}

export interface EdgeRow {
  size: string;
  op: Op;
  /** Median ns per message. */
  ns: number;
}

/** Every size and direction, timed in-process. */
export async function measureAll(codec: WeComCrypto, now: () => number): Promise<EdgeRow[]> {
  const rows: EdgeRow[] = [];
  for (const [size, bytes] of SIZES) {
    for (const op of ['inbound', 'outbound'] as const) {
      rows.push({ size, op, ns: await timeOp(await operation(codec, op, bytes), now) });
    }
  }
  return rows;
}
