/**
 * Inbound (verify signature + decrypt) and outbound (encrypt + sign) cost per message, against
 * @wecom/crypto, wechat-crypto and the raw node:crypto floor. Prints figures; asserts nothing about time.
 * Run: pnpm --filter @maven/wecom-crypto run bench
 */
import { cpus, loadavg } from 'node:os';
import { WeComCryptoSync } from '../src/index.node.ts';
import { asyncCandidate, type Candidate, measure, syncCandidate, type Timing } from './harness.ts';
import { type Inbound, KEYS, type Subject, subjects } from './subjects.ts';

const SIZES = [
  ['200 B', 200],
  ['1 KB', 1024],
  ['16 KB', 16 * 1024],
] as const;
const BASELINE = '@wecom/crypto 1.0.1';
const ROUNDS = 21;

/** A JSON bot message of exactly `bytes` UTF-8 bytes. */
function jsonMessage(bytes: number): string {
  const shell = JSON.stringify({ msgid: 'CAIQ16HMjQYY', msgtype: 'text', text: { content: '' } });
  return shell.replace('"content":""', `"content":"${'x'.repeat(bytes - shell.length)}"`);
}

function sampleFor(message: string): Inbound {
  const signer = new WeComCryptoSync({ ...KEYS });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = '1372623149';
  const encrypt = signer.encrypt(message);
  return { signature: signer.signature(timestamp, nonce, encrypt), timestamp, nonce, encrypt, message };
}

function candidate(subject: Subject, op: () => unknown): Candidate {
  return subject.async
    ? asyncCandidate(subject.name, op as () => Promise<unknown>)
    : syncCandidate(subject.name, op);
}

/** Every subject must decrypt the sample to the message before it is timed. */
async function check(subject: Subject, sample: Inbound): Promise<void> {
  const got = await subject.inbound(sample);
  const text = typeof got === 'string' ? got : null;
  if (text !== null && text !== sample.message) throw new Error(`${subject.name} decrypted wrongly`);
  await subject.outbound(sample.message, sample.timestamp, sample.nonce);
}

interface Row {
  size: string;
  name: string;
  inbound: Timing;
  outbound: Timing;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadBefore = load();
const rows: Row[] = [];
for (const [size, bytes] of SIZES) {
  const message = jsonMessage(bytes);
  const sample = sampleFor(message);
  for (const subject of subjects) await check(subject, sample);
  const options = { rounds: ROUNDS };
  const inbound = await measure(
    subjects.map((s) => candidate(s, () => s.inbound(sample))),
    options,
  );
  const outbound = await measure(
    subjects.map((s) => candidate(s, () => s.outbound(message, sample.timestamp, sample.nonce))),
    options,
  );
  for (const s of subjects) {
    rows.push({ size, name: s.name, inbound: inbound.get(s.name)!, outbound: outbound.get(s.name)! });
  }
}

const us = (ns: number) => (ns / 1000).toFixed(2);
const x = (base: number, ns: number) => `${(base / ns).toFixed(2)}x`;
const cells = (t: Timing, base: Timing) =>
  [us(t.wall), us(t.cpu), x(base.wall, t.wall), x(base.cpu, t.cpu)].map((c) => c.padStart(8));

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}`);
console.log(`load average ${loadBefore} before, ${load()} after`);
console.log(`µs per message, median of ${ROUNDS} interleaved rounds of ~15 ms: wall clock and CPU time;`);
console.log('"x" = @wecom/crypto time / this time (higher is faster), from wall clock and from CPU time\n');
const head = ['wall µs', 'cpu µs', 'x wall', 'x cpu'].map((c) => c.padStart(8)).join(' ');
console.log(`${''.padEnd(27)} ${'inbound (verify + decrypt)'.padEnd(35)}   outbound (encrypt + sign)`);
console.log(`${'size'.padEnd(6)} ${'implementation'.padEnd(20)} ${head} | ${head}`);
for (const [size] of SIZES) {
  const base = rows.find((r) => r.size === size && r.name === BASELINE)!;
  for (const r of rows.filter((row) => row.size === size)) {
    const inbound = cells(r.inbound, base.inbound).join(' ');
    const outbound = cells(r.outbound, base.outbound).join(' ');
    console.log(`${size.padEnd(6)} ${r.name.padEnd(20)} ${inbound} | ${outbound}`);
  }
}
