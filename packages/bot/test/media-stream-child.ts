/**
 * Child process of media-stream.test.ts: downloads MEDIA_URL with downloadMediaStream, hashes the
 * decrypted bytes (key MEDIA_KEY) as they arrive, and prints the byte count, SHA-256 and peak RSS above the
 * baseline taken before the download, as one JSON line.
 */
import { createHash } from 'node:crypto';
import { WeComCrypto } from '@maven/wecom-crypto';
import { downloadMediaStream } from '../src/media-stream.js';

const url = process.env.MEDIA_URL!;
const KEY = process.env.MEDIA_KEY!;
const crypto = new WeComCrypto({ token: 'token', encodingAESKey: KEY });
const options = { maxBytes: 10 * 1024 * 1024, protocols: ['http:'], hosts: undefined, timeoutMs: 30_000 };

// Node loads its fetch (undici) on first use: load it before the baseline, so the figure is the download's.
await (await fetch(new URL('/warm-up', url))).arrayBuffer();
const baseline = process.memoryUsage.rss();
let peak = baseline;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage.rss());
};
const ticker = setInterval(sample, 5);

const hash = createHash('sha256');
let bytes = 0;
const media = await downloadMediaStream({ kind: 'file', url }, { crypto, options });
for await (const chunk of media.stream as unknown as AsyncIterable<Uint8Array>) {
  hash.update(chunk);
  bytes += chunk.length;
  sample();
}
clearInterval(ticker);
sample();
console.log(
  JSON.stringify({ bytes, sha256: hash.digest('hex'), peakAboveBaseline: peak - baseline, mime: media.mime }),
);
