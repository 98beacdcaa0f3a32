/**
 * Streamed media: a 100 MiB encrypted file served by a real HTTP server on 127.0.0.1 (encrypted on
 * the fly), downloaded and decrypted by downloadMediaStream in a child process that hashes the
 * bytes; prints the child's peak RSS above its baseline and whether the SHA-256 matched.
 * Run: node --import tsx bench/media-stream.bench.ts (part of `pnpm bench`)
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMediaServer } from '../packages/bot/test/media-stream-server.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const MIB = 1024 * 1024;
const size = 100 * MIB;

const server = await startMediaServer(KEY);
try {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'packages/bot/test/media-stream-child.ts')],
    { env: { ...process.env, MEDIA_URL: `${server.url}/big/${size}`, MEDIA_KEY: KEY }, cwd: root },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const seconds = (performance.now() - started) / 1000;
  if (status !== 0) throw new Error(`child failed (${status}): ${stderr.slice(-2000)}`);
  const report = JSON.parse(stdout.trim().split('\n').pop()!);
  const ok = report.bytes === size && report.sha256 === server.sent.at(-1);
  console.log('Streamed media download (downloadMediaStream, node provider, real HTTP on 127.0.0.1)');
  console.log(
    `  100 MiB file: peak RSS ${(report.peakAboveBaseline / MIB).toFixed(1)} MiB above the child's baseline ` +
      `(bound 64 MiB), ${(size / MIB / seconds).toFixed(0)} MiB/s including child start-up, SHA-256 ${ok ? 'matches' : 'MISMATCH'}`,
  );
  console.log(
    `@@media-stream ${JSON.stringify({ bytes: size, peakRssAboveBaseline: report.peakAboveBaseline, ok })}`,
  );
  if (!ok) process.exitCode = 1;
} finally {
  await server.close();
}
