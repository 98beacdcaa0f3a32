/**
 * Child process of media-stream.test.ts, run with --max-old-space-size=64: encrypts MEDIA_BYTES of
 * pseudo-random media on the fly (never held whole), pipes it through decryptMediaStream on the
 * provider named in argv, and prints the SHA-256 of the plaintext made and of the bytes decrypted,
 * with the peak RSS above the baseline, as one JSON line.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { nodeProvider, WeComCrypto, webProvider } from '../src/index.node.ts';
import { OPTIONS_A } from './helpers.ts';

const total = Number(process.env.MEDIA_BYTES);
const provider = process.argv[2] === 'web' ? webProvider : nodeProvider;
const CHUNK = 64 * 1024;
const key = Buffer.from(`${OPTIONS_A.encodingAESKey}=`, 'base64');

const baseline = process.memoryUsage.rss();
let peak = baseline;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage.rss());
};

const made = createHash('sha256');
const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
let produced = 0;
let counter = 0;
const source = new ReadableStream<Uint8Array>({
  pull(controller) {
    sample();
    const n = Math.min(CHUNK, total - produced);
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) words[i] = counter++;
    const plain = Buffer.from(words.buffer, 0, n);
    made.update(plain);
    produced += n;
    if (produced < total) {
      controller.enqueue(cipher.update(plain));
      return;
    }
    const pad = 32 - (total % 32);
    controller.enqueue(cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])));
    controller.close();
  },
});

const got = createHash('sha256');
let bytes = 0;
const codec = new WeComCrypto({ ...OPTIONS_A, provider });
for await (const chunk of source.pipeThrough(
  codec.decryptMediaStream(),
) as unknown as AsyncIterable<Uint8Array>) {
  got.update(chunk);
  bytes += chunk.length;
  sample();
}
console.log(
  JSON.stringify({
    provider: provider.name,
    bytes,
    made: made.digest('hex'),
    got: got.digest('hex'),
    peakAboveBaseline: peak - baseline,
  }),
);
