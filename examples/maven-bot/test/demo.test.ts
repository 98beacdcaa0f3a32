/** `pnpm demo` (scripts/demo.mjs) as a child process: exit 0 and a readable transcript. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../../test-support/child.js';

function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'demo.mjs')], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('pnpm demo exits 0 and prints the conversation as a user sees it', async () => {
  const { code, stdout, stderr } = await runDemo();
  expect(code, `${stdout}\n${stderr}`).toBe(0);
  const lines = stdout.split('\n');
  expect(lines).toContain('  ✓ the console would accept this URL');
  expect(lines).toContain('user › hello');
  expect(lines).toContain('bot  › echo: hello   (markdown through the message’s response_url)');
  expect(lines).toContain('user › tell me something, slowly');
  // The stream is shown as it grows: at least one partial frame before the final answer.
  const frames = lines.filter((line) => line.startsWith('bot  ▸ echo: '));
  expect(frames.length).toBeGreaterThanOrEqual(1);
  for (const frame of frames)
    expect('echo: tell me something, slowly'.startsWith(frame.slice('bot  ▸ '.length))).toBe(true);
  expect(
    lines.some((line) =>
      /^bot {2}› echo: tell me something, slowly {3}\(stream finished after \d+ refresh callbacks\)$/.test(
        line,
      ),
    ),
  ).toBe(true);
  const png = 'iVBORw0KGgoAAAAN'; // the first 16 base64 characters of every PNG
  expect(lines).toContain(
    `bot  › image: image/png 70 → base64 block ${png}… (96 chars)   (MIME type from the decrypted bytes)`,
  );
  expect(stdout).toContain('✓ demo finished');
}, 90_000);
